"""rain.streaks, rain.drops, snow.layers: veils against the scattering model, physical behaviour, batch path."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

import degrade
from degrade.ops.haze.functional import coarse_synthetic_depths
from degrade.ops.rain import batch as rain_batch
from degrade.ops.rain.functional import drop_fields
from degrade.ops.rain.particles import particle_field
from degrade.ops.snow import batch as snow_batch
from restorebench.seeding import field_rng, sample_rng
from tests.ops_b.conftest import from_batch, to_batch

STREAKS, DROPS, SNOW = degrade.get("rain.streaks"), degrade.get("rain.drops"), degrade.get("snow.layers")
DEVICE_FORM = {"rain.streaks": rain_batch.streaks, "snow.layers": snow_batch.snow}
"""The batch form that devices other than the CPU run (particle positions from a torch generator), run here on
CPU tensors."""


def streak_params(**kw):
    return {"density": 0.006, "length": 24.0, "angle_deg": 0.0, "width": 1.5, "brightness": 0.6, "layers": 3,
            "accumulation": 0.0, "airlight": 0.8, "seed": 4, **kw}


def snow_params(**kw):
    return {"layers": 3, "density": 0.008, "size": 3.0, "motion": 6.0, "angle_deg": 10.0, "opacity": 0.9,
            "veil": 0.0, "airlight": 0.95, "seed": 4, **kw}


def drop_params(**kw):
    return {"density": 0.4, "radius": 12.0, "zoom": 3.0, "blur": 1.5, "seed": 4, **kw}


@pytest.mark.parametrize("op, params", [
    (STREAKS, streak_params(density=0.0, accumulation=0.7, airlight=0.75)),
    (SNOW, snow_params(density=0.0, veil=0.7, airlight=0.75)),
])
def test_veil_alone_is_the_scattering_model(op, params, photo):
    h, w, _ = photo.shape
    coarse = coarse_synthetic_depths(particle_field(4)[0][None], h, w)[0].astype(np.float64)
    t = cv2.resize(np.exp(-0.7 * coarse), (w, h), interpolation=cv2.INTER_LINEAR)[:, :, None]
    np.testing.assert_allclose(op.apply(photo, params), photo * t + 0.75 * (1 - t), atol=2e-6)


def _streak_direction(field: np.ndarray) -> float:
    """Dominant orientation of thin bright lines, degrees counter-clockwise from vertical (modulo 180)."""
    gx = cv2.Sobel(field, cv2.CV_64F, 1, 0)
    gy = cv2.Sobel(field, cv2.CV_64F, 0, 1)
    gradient = 0.5 * np.degrees(np.arctan2(2 * (gx * gy).sum(), (gx * gx - gy * gy).sum()))  # +x towards +y (down)
    return (90.0 - (gradient + 90.0) + 90.0) % 180.0 - 90.0


@pytest.mark.parametrize("angle", [-30.0, 0.0, 20.0])
def test_streaks_fall_at_their_angle_and_only_brighten(angle, photo):
    black = np.zeros((192, 192, 3), np.float32)
    field = STREAKS.apply(black, streak_params(angle_deg=angle, layers=1))[:, :, 0]
    assert abs(_streak_direction(field) - angle) < 4.0
    out = STREAKS.apply(photo, streak_params(angle_deg=angle))
    assert (out >= photo - 1e-6).all()  # a screen blend never darkens


def test_denser_rain_covers_more(photo):
    cover = [(np.abs(STREAKS.apply(photo, streak_params(density=d)) - photo).max(axis=2) > 0.05).mean()
             for d in (0.002, 0.006, 0.018)]
    assert cover[0] < cover[1] < cover[2] < 0.9


def test_snow_flakes_blend_towards_the_ambient_light():
    black = np.zeros((160, 160, 3), np.float32)
    out = SNOW.apply(black, snow_params(airlight=0.9, opacity=1.0))
    assert out.max() <= 0.9 + 1e-6 and (out > 0.45).mean() > 0.005
    assert np.allclose(out[:, :, 0], out[:, :, 2])  # flakes are achromatic


def test_snow_veil_whitens_and_flattens(photo):
    outs = [SNOW.apply(photo, snow_params(density=0.0, veil=v)) for v in (0.0, 0.5, 1.5)]
    means, stds = [o.mean() for o in outs], [o.std() for o in outs]
    assert means[0] < means[1] < means[2] and stds[0] > stds[1] > stds[2]


def test_drops_show_the_scene_inverted():
    h, w = 256, 256
    ramp = np.repeat(np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None], w, axis=1)
    img = np.repeat(ramp[:, :, None], 3, axis=2)
    params = drop_params(density=1.0, radius=14.0, blur=0.0)
    out = DROPS.apply(img, params)
    fields = drop_fields(h, w, 1.0, 14.0, 3.0, field_rng(params["seed"]))
    core = np.zeros(h * w, bool)
    core[fields.inside[fields.shade == 1.0]] = True  # inside drops, away from the dark rim
    core = core.reshape(h, w)
    assert core.mean() > 0.02
    dy = np.diff(out[:, :, 0], axis=0)  # the ramp grows downwards; through a drop the view is upside down
    assert dy[core[1:] & core[:-1]].mean() < 0 < dy[~(core[1:] | core[:-1])].mean()


def test_more_drops_cover_more(photo):
    big = cv2.resize(photo, (320, 320))
    cover = [np.mean([(np.abs(DROPS.apply(big, drop_params(density=d, seed=s)) - big).max(axis=2) > 0.02).mean()
                      for s in range(3)]) for d in (0.2, 1.0, 3.0)]
    assert cover[0] < cover[1] < cover[2]


def test_drops_batch_matches_numpy(photo):
    params = [drop_params(seed=s, blur=b) for s, b in ((1, 0.0), (2, 1.5), (3, 3.0))]
    out = DROPS.apply_batch(to_batch(photo, 3), params)
    for i, p in enumerate(params):
        assert np.abs(from_batch(out, i) - DROPS.apply(photo, p)).max() <= 1e-4


@pytest.mark.parametrize("op, params", [
    (STREAKS, streak_params(accumulation=0.0)),
    (STREAKS, streak_params(density=0.0, accumulation=0.6)),
    (STREAKS, streak_params(accumulation=0.6, angle_deg=-15.0)),
    (SNOW, snow_params(veil=0.0)),
    (SNOW, snow_params(density=0.0, veil=0.6)),
    (SNOW, snow_params(veil=0.6, motion=15.0)),
])
def test_device_form_matches_numpy_in_distribution(op, params):
    """Veils are identical; particle positions differ (numpy vs torch generators), their statistics agree."""
    gray = np.full((160, 160, 3), 0.35, np.float32)
    seeds = list(range(10, 26))  # per-image change varies ~8 % between seeds: compare means over 16
    plist = [{**params, "seed": s} for s in seeds]
    batch = DEVICE_FORM[op.name](to_batch(gray, len(seeds)), plist).clamp_(0.0, 1.0)
    cpu = np.stack([op.apply(gray, p) for p in plist])
    gpu = np.stack([from_batch(batch, i) for i in range(len(seeds))])
    if params["density"] == 0.0:
        assert np.abs(cpu - gpu).max() <= 1e-4
    change_cpu, change_gpu = np.abs(cpu - gray).mean(), np.abs(gpu - gray).mean()
    assert abs(change_cpu - change_gpu) <= 0.08 * change_cpu + 1e-4
    cover_cpu, cover_gpu = (np.abs(cpu - gray) > 0.08).mean(), (np.abs(gpu - gray) > 0.08).mean()
    assert abs(cover_cpu - cover_gpu) <= 0.12 * cover_cpu + 1e-3


@pytest.mark.parametrize("op, params", [(STREAKS, streak_params(accumulation=0.4)), (SNOW, snow_params(veil=0.4))])
def test_device_form_sample_depends_only_on_its_params(op, params, photo):
    """A sample's particles come from its own seed: the same field alone or between other samples (up to
    FFT rounding: the batch's common kernel size sets the transform size)."""
    others = [{**params, "seed": 77}, params, {**params, "seed": 78, "angle_deg": -5.0}]
    alone = DEVICE_FORM[op.name](to_batch(photo), [params])
    mixed = DEVICE_FORM[op.name](to_batch(photo, 3), others)
    assert (alone[0] - mixed[1]).abs().max() < 1e-5
    assert (mixed[0] - mixed[1]).abs().max() > 0.1


@pytest.mark.parametrize("op, params", [(STREAKS, streak_params(accumulation=0.4)), (SNOW, snow_params(veil=0.4))])
@pytest.mark.parametrize("form", ["cpu batch", "device form"])
def test_batch_output_does_not_depend_on_host_threads(op, params, photo, form):
    """Samples (CPU batch) and the veils' coarse grids (device form) run on torch's host threads; the bytes stay."""
    apply = op.apply_batch if form == "cpu batch" else DEVICE_FORM[op.name]
    batch = [{**params, "seed": s} for s in range(5)]
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = apply(to_batch(photo, 5), batch)
        torch.set_num_threads(3)
        three = apply(to_batch(photo, 5), batch)
    finally:
        torch.set_num_threads(before)
    assert torch.equal(one, three)


@pytest.mark.parametrize("op", [STREAKS, SNOW])
def test_cpu_batch_gives_the_numpy_path_bits(op, photo):
    plist = [op.sample(sample_rng(5, i), severity=s) for i, s in enumerate((1, 3, 5))]
    batch = op.apply_batch(to_batch(photo, 3), plist)
    for i, p in enumerate(plist):
        np.testing.assert_array_equal(from_batch(batch, i), op.apply(photo, p))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", ["haze.atmospheric", "rain.drops", "rain.streaks", "snow.layers"])
def test_cuda_matches_cpu(name, photo):
    """Deterministic ops agree with the numpy path to 1e-4 on the GPU; particle ops in mean change (16 seeds)."""
    op = degrade.get(name)
    plist = [op.sample(sample_rng(21, i), severity=3) for i in range(16)]
    gpu = op.apply_batch(to_batch(photo, len(plist)).cuda(), plist).cpu()
    cpu = np.stack([op.apply(photo, p) for p in plist])
    gpu = np.stack([from_batch(gpu, i) for i in range(len(plist))])
    if name in ("haze.atmospheric", "rain.drops"):
        assert np.abs(cpu - gpu).max() <= 1e-4
    else:
        change_cpu, change_gpu = np.abs(cpu - photo).mean(), np.abs(gpu - photo).mean()
        assert abs(change_cpu - change_gpu) <= 0.08 * change_cpu
