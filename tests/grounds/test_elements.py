"""Each chart element has the property it exists for, measured independently of how it is drawn."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import map_coordinates
from scipy.signal import hilbert

from degrade.grounds import get_element, list_elements, make_ground
from degrade.grounds.colors import COLORCHECKER24_SRGB8, GRAY_STEPS, PRIMARIES, checker24_patch_boxes
from degrade.grounds.random_textures import (
    LEAF_COVERAGE,
    dead_leaves_labels,
    exemplar_spectrum,
    random_phase_noise,
    visible_leaves,
)
from degrade.grounds.regular import siemens_star, zone_plate_k


def ring_samples(img: np.ndarray, radius: float, n: int = 4096) -> np.ndarray:
    """Bilinear samples of channel 0 on a circle about the image centre, n angles."""
    c = (img.shape[0] - 1) / 2
    theta = np.arange(n) * 2 * np.pi / n
    return map_coordinates(img[:, :, 0], [c + radius * np.sin(theta), c + radius * np.cos(theta)], order=1)


def angular_energy(img: np.ndarray, radius: float) -> np.ndarray:
    """Energy of each angular harmonic (cycles per turn) of the ring at ``radius``, DC removed."""
    ring = ring_samples(img, radius)
    return np.abs(np.fft.rfft(ring - ring.mean())) ** 2


@pytest.mark.parametrize("spokes", [24, 48])
def test_sine_star_energy_on_its_spoke_frequency(spokes):
    star = siemens_star(256, spokes, rotation=0.3)
    for radius in (40.0, 80.0, 120.0):
        e = angular_energy(star, radius)
        assert e[spokes] / e.sum() > 0.99, (radius, e[spokes] / e.sum())
        # local frequency along the ring is spokes / (2 pi r) cycles per pixel
        period_px = 2 * np.pi * radius / spokes
        assert period_px > 3


def test_square_star_energy_on_odd_harmonics_of_spokes():
    spokes = 32
    star = siemens_star(512, spokes, square=True)
    e = angular_energy(star, 220.0)  # spoke period 43 px: pixel-area edges barely soften the harmonics
    share = e / e.sum()
    assert sum(share[k * spokes] for k in (1, 3, 5, 7, 9)) > 0.99
    assert sum(share[k * spokes] for k in (2, 4, 6)) < 0.001
    # a square wave's odd harmonics k have amplitude 1/k of the fundamental (pixel-area edges and the
    # bilinear ring sampling soften them slightly: 3 % at k = 3, 8 % at k = 5 for this period)
    amp = np.sqrt(share)
    assert amp[3 * spokes] / amp[spokes] == pytest.approx(1 / 3, rel=0.05)
    assert amp[5 * spokes] / amp[spokes] == pytest.approx(1 / 5, rel=0.1)


def test_registered_stars_draw_from_the_spoke_table():
    rng = np.random.default_rng(3)
    star = get_element("regular.siemens_star_sine")(256, rng)
    e = angular_energy(star, 90.0)
    assert int(np.argmax(e)) in (24, 32, 48)


def test_zone_plate_local_frequency_grows_linearly_with_radius():
    size = 512
    plate = make_ground("regular.zone_plate", size, 0)[:, :, 0]
    row = plate[size // 2, size // 2:].astype(np.float64)  # y = 0.5 px, x = 0.5 ... size/2 - 0.5
    x = np.arange(row.size) + 0.5
    phase = np.unwrap(np.angle(hilbert(row - row.mean())))
    freq = np.gradient(phase, x) / (2 * np.pi)
    keep = (x > 40) & (x < x.max() - 20)
    slope, intercept = np.polyfit(x[keep], freq[keep], 1)
    k = zone_plate_k(size)
    assert slope == pytest.approx(k, rel=0.03)
    assert abs(intercept) < 0.01
    resid = freq[keep] - (slope * x[keep] + intercept)
    assert np.sqrt(np.mean(resid ** 2)) < 0.01


def radial_power(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Radially averaged power spectrum of a square image (Hann window), bin centres in cycles/pixel."""
    n = gray.shape[0]
    win = np.hanning(n)[:, None] * np.hanning(n)[None, :]
    p = np.abs(np.fft.fft2((gray - gray.mean()) * win)) ** 2
    f = np.hypot(np.fft.fftfreq(n)[:, None], np.fft.fftfreq(n)[None, :]).ravel()
    edges = np.arange(1, n // 2) / n
    idx = np.digitize(f, edges)
    sums = np.bincount(idx, p.ravel(), minlength=edges.size + 1)
    counts = np.bincount(idx, minlength=edges.size + 1)
    return (edges[:-1] + edges[1:]) / 2, sums[1:edges.size] / counts[1:edges.size]


def spectral_slope(name: str, seeds: range, size: int = 256, band=(0.02, 0.3)) -> float:
    power = None
    for s in seeds:
        fc, p = radial_power(make_ground(name, size, s).mean(axis=2))
        power = p if power is None else power + p
    keep = (fc >= band[0]) & (fc <= band[1])
    return float(np.polyfit(np.log(fc[keep]), np.log(power[keep]), 1)[0])


def test_dead_leaves_power_spectrum_slope_near_minus_two():
    assert spectral_slope("random.dead_leaves", range(4)) == pytest.approx(-2.0, abs=0.2)


def test_fractal_power_spectrum_slope_is_minus_two():
    assert spectral_slope("random.fractal", range(2)) == pytest.approx(-2.0, abs=0.15)


def test_dead_leaves_are_flat_opaque_disks():
    img = make_ground("random.dead_leaves", 128, 5)
    colors = np.unique(img.reshape(-1, 3), axis=0)
    assert 30 < len(colors) < 128 * 128 / 4  # piecewise constant: far fewer colours than pixels


def test_random_phase_keeps_the_exemplar_spectrum_and_mean():
    spec = exemplar_spectrum("brick", 128)
    out = random_phase_noise(spec, 128, np.random.default_rng(0))
    got = np.abs(np.fft.rfft2(out.astype(np.float64), axes=(0, 1)))
    want = np.abs(spec)
    assert np.allclose(got[0, 0], want[0, 0], rtol=1e-3)  # channel means kept
    rel = np.linalg.norm(got - want) / np.linalg.norm(want)
    assert rel < 0.05  # only clipping to [0,1] may change the modulus
    exemplar = np.fft.irfft2(spec, s=(128, 128), axes=(0, 1))
    assert np.abs(np.corrcoef(out[:, :, 1].ravel(), exemplar[:, :, 1].ravel())[0, 1]) < 0.2  # structure gone


def test_colorchecker_patches_equal_the_documented_table():
    size = 240
    img = make_ground("colors.checker24", size, 0)
    boxes = checker24_patch_boxes(size)
    assert len(boxes) == len(COLORCHECKER24_SRGB8) == 24
    for (top, bottom, left, right), (name, rgb) in zip(boxes, COLORCHECKER24_SRGB8):
        patch = img[top:bottom, left:right]
        assert patch.size > 0, name
        np.testing.assert_array_equal(patch, np.broadcast_to(np.float32(rgb) / np.float32(255), patch.shape), name)
    assert tuple(COLORCHECKER24_SRGB8[0][1]) == (115, 82, 68)  # dark skin
    assert tuple(COLORCHECKER24_SRGB8[17][1]) == (8, 133, 161)  # cyan


def test_gray_steps_and_primaries_are_exact():
    size = 220
    steps = make_ground("colors.gray_steps", size, 0)
    width = size / GRAY_STEPS
    for k in range(GRAY_STEPS):
        x = int((k + 0.5) * width)
        assert steps[10, x, 0] == pytest.approx(k / (GRAY_STEPS - 1), abs=1e-7)
    assert np.all(steps[:, :, 0] == steps[:, :, 2])  # neutral
    assert np.all(np.diff(steps[-1, :, 0]) > 0)  # bottom row is a strictly rising ramp
    prim = make_ground("colors.primaries", size, 0)
    for i, rgb in enumerate(PRIMARIES):
        r, c = divmod(i, 3)
        np.testing.assert_array_equal(prim[int((r + 0.5) * size / 2), int((c + 0.5) * size / 3)], rgb)


def test_slanted_edge_angle_in_range():
    size = 256
    img = make_ground("regular.slanted_edge", size, 11)[:, :, 0]
    rows = np.arange(size // 2 - 40, size // 2 + 40)
    mid = (img.max() + img.min()) / 2
    xs = []
    for y in rows:
        line = img[y, : size // 2]
        i = int(np.argmax(line < mid))  # first dark pixel: the left edge of the dark square
        xs.append(i - 1 + (line[i - 1] - mid) / (line[i - 1] - line[i]))
    angle = np.degrees(np.arctan(abs(np.polyfit(rows, xs, 1)[0])))
    assert 3.0 - 0.3 <= angle <= 10.0 + 0.3


def test_checkerboard_has_four_pitches():
    size = 256
    img = make_ground("regular.checkerboard", size, 0)[:, :, 0]
    half = size // 2
    pitches = set()
    for ty in (0, 1):
        for tx in (0, 1):
            row = img[ty * half + 1, tx * half:(tx + 1) * half]
            flips = int(np.count_nonzero(np.diff(row) != 0))
            pitches.add(half // (flips + 1))
    assert pitches == {size // 32, size // 16, size // 8, size // 4}


@pytest.mark.parametrize("size", [32, 75, 128])
def test_every_element_is_float32_rgb_in_range(size):
    for name in list_elements():
        img = make_ground(name, size, 1)
        assert img.shape == (size, size, 3) and img.dtype == np.float32, name
        assert np.isfinite(img).all() and img.min() >= 0 and img.max() <= 1, name
        assert img.std() > 0.02, name  # every element has structure


def test_groups_hold_the_issue_elements():
    assert {"regular.siemens_star_sine", "regular.siemens_star_square", "regular.zone_plate", "regular.rings",
            "regular.slanted_edge", "regular.wedges", "regular.checkerboard"} <= set(list_elements("regular"))
    assert set(list_elements("random")) >= {"random.dead_leaves", "random.fractal", "random.random_phase"}
    assert set(list_elements("natural")) >= {"natural.brick", "natural.grass", "natural.gravel"}
    assert set(list_elements("colors")) >= {"colors.checker24", "colors.gray_steps", "colors.ramps",
                                            "colors.primaries"}


@pytest.mark.parametrize("seed", [0, 1])
def test_dead_leaves_rasterizer_matches_painting_disks_back_to_front(seed):
    size, rmin, rmax = 48, 1.0, 24.0
    labels = dead_leaves_labels(size, np.random.default_rng(seed), rmin, rmax)
    r, cx, cy = visible_leaves(size, np.random.default_rng(seed), rmin, rmax, LEAF_COVERAGE)
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    painted = np.full((size, size), -1)
    for i in range(len(r)):  # the painter's algorithm, one disk at a time
        painted[(xx - cx[i]) ** 2 + (yy - cy[i]) ** 2 <= r[i] ** 2] = i
    np.testing.assert_array_equal(labels, painted)
    assert (labels >= 0).mean() > 0.97


def test_fractal_channels_have_the_documented_std_and_correlation():
    from degrade.grounds.random_textures import FRACTAL_CHANNEL_CORR, FRACTAL_STD

    img = make_ground("random.fractal", 256, 4).reshape(-1, 3).astype(np.float64)
    assert img.std(axis=0) == pytest.approx([FRACTAL_STD] * 3, rel=0.05)
    corr = np.corrcoef(img.T)
    assert corr[np.triu_indices(3, 1)] == pytest.approx([FRACTAL_CHANNEL_CORR] * 3, abs=0.03)
