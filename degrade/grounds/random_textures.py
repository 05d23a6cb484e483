"""Random-texture chart elements: dead leaves, fractal (1/f) noise and random-phase textures.

* ``dead_leaves``: opaque disks with scale-invariant radii (density ``r^-3`` between :data:`LEAF_RADII`
  times the element size, as in the dead-leaves texture charts of IEEE 1858 / Cao, Guichard & Hornung
  2010), uniform centres, one random colour each, later leaves on top. Its power spectrum falls off
  close to ``f^-2``, like natural images.
* ``fractal``: Gaussian noise shaped to a ``f^-2`` power spectrum (``f^-1`` amplitude), luminance-dominant
  colour (each channel 70 % shared field, 30 % its own).
* ``random_phase``: random-phase noise (Galerne, Gousseau & Morel 2011) of a bundled natural texture:
  the exemplar's Fourier modulus (of its periodic component) with one uniform random phase shared
  by R, G and B, so it keeps the exemplar's spectrum and colour correlations and loses its structure.
"""

from __future__ import annotations

import numpy as np

from degrade.grounds.natural import bundled_texture_crop
from degrade.grounds.primitives import CHART_BLACK, CHART_MID, CHART_WHITE
from degrade.grounds.registry import element

LEAF_RADII = (1.0, 0.5)
"""Smallest radius (pixels) and largest radius (fraction of the element size) of dead leaves."""
LEAF_COVERAGE = 6.0
"""Mean number of leaves over each pixel; the bottom background shows through about exp(-6) = 0.25 %."""
FRACTAL_STD = 0.13
"""Standard deviation of the fractal texture's channels (sRGB code values), about its 0.5 mean."""


def leaf_radii(rng: np.random.Generator, n: int, rmin: float, rmax: float) -> np.ndarray:
    """``n`` radii with density proportional to ``r^-3`` on [rmin, rmax] (inverse-CDF sampling), float64."""
    a, b = rmin ** -2.0, rmax ** -2.0
    return (a - rng.random(n) * (a - b)) ** -0.5


def dead_leaves_labels(size: int, rng: np.random.Generator, rmin: float, rmax: float,
                       coverage: float = LEAF_COVERAGE) -> np.ndarray:
    """Index of the top leaf at each pixel (size x size int64; -1 where no leaf falls).

    Leaves are disks with ``r^-3`` radii, centres uniform over the element grown by ``rmax`` on each
    side (so the texture is stationary up to the border); leaf ``i`` lies on top of leaves ``< i``.
    Rasterized without Python loops: every (leaf, pixel) pair of the clipped bounding boxes is listed,
    pixels inside the disk kept, and the largest leaf index per pixel taken with ``np.maximum.at``.
    """
    mean_area = np.pi * 2.0 * np.log(rmax / rmin) / (rmin ** -2.0 - rmax ** -2.0)
    span = size + 2.0 * rmax
    n = int(np.ceil(coverage * span * span / mean_area))
    r = leaf_radii(rng, n, rmin, rmax)
    cx, cy = rng.uniform(-rmax, size + rmax, (2, n))
    x0 = np.clip(np.ceil(cx - r - 0.5), 0, size).astype(np.int64)
    x1 = np.clip(np.floor(cx + r - 0.5) + 1, 0, size).astype(np.int64)
    y0 = np.clip(np.ceil(cy - r - 0.5), 0, size).astype(np.int64)
    y1 = np.clip(np.floor(cy + r - 0.5) + 1, 0, size).astype(np.int64)
    wx, wy = np.maximum(x1 - x0, 0), np.maximum(y1 - y0, 0)
    counts = wx * wy
    leaf = np.repeat(np.arange(n), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    px = x0[leaf] + offset % wx[leaf]
    py = y0[leaf] + offset // wx[leaf]
    inside = (px + 0.5 - cx[leaf]) ** 2 + (py + 0.5 - cy[leaf]) ** 2 <= r[leaf] ** 2
    labels = np.full(size * size, -1, np.int64)
    np.maximum.at(labels, (py * size + px)[inside], leaf[inside])
    return labels.reshape(size, size)


@element("random.dead_leaves")
def dead_leaves(size: int, rng: np.random.Generator) -> np.ndarray:
    """Colour dead-leaves texture: each leaf (and the background) one RGB colour uniform in the chart tones."""
    rmin, rmax_frac = LEAF_RADII
    labels = dead_leaves_labels(size, rng, rmin, max(rmin * 2, rmax_frac * size))
    colors = rng.uniform(CHART_BLACK, CHART_WHITE, (int(labels.max()) + 2, 3)).astype(np.float32)
    return colors[labels + 1]


def power_law_noise(shape: tuple[int, ...], rng: np.random.Generator, exponent: float = 2.0) -> np.ndarray:
    """Zero-mean, unit-std Gaussian fields (..., H, W) float32 with power spectrum ``|f|^-exponent``."""
    h, w = shape[-2:]
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.maximum(np.hypot(fy, fx), 1.0 / max(h, w))
    spec = np.fft.rfft2(rng.standard_normal(shape)) * f ** (-exponent / 2.0)
    spec[..., 0, 0] = 0.0
    field = np.fft.irfft2(spec, s=(h, w))
    field /= field.std(axis=(-2, -1), keepdims=True)
    return field.astype(np.float32)


@element("random.fractal")
def fractal(size: int, rng: np.random.Generator) -> np.ndarray:
    """Fractal 1/f texture (power ``f^-2``), channels of std :data:`FRACTAL_STD` about mid-gray."""
    fields = power_law_noise((4, size, size), rng)
    rgb = 0.7 * fields[0] + 0.3 * fields[1:]
    rgb /= rgb.std(axis=(-2, -1), keepdims=True)
    out = CHART_MID + FRACTAL_STD * np.moveaxis(rgb, 0, -1)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def periodic_component(img: np.ndarray) -> np.ndarray:
    """Periodic component of an HxWxC image (Moisan 2011 periodic + smooth decomposition), float64.

    Removing the smooth component removes the border discontinuities that would otherwise show as a
    cross through the Fourier spectrum.
    """
    u = img.astype(np.float64)
    h, w = u.shape[:2]
    v = np.zeros_like(u)
    v[0] += u[-1] - u[0]
    v[-1] += u[0] - u[-1]
    v[:, 0] += u[:, -1] - u[:, 0]
    v[:, -1] += u[:, 0] - u[:, -1]
    q = np.arange(h)[:, None]
    r = np.arange(w)[None, :]
    denom = 2 * np.cos(2 * np.pi * q / h) + 2 * np.cos(2 * np.pi * r / w) - 4
    denom[0, 0] = 1.0
    s_hat = np.fft.fft2(v, axes=(0, 1)) / denom[:, :, None]
    s_hat[0, 0] = 0.0
    return u - np.fft.ifft2(s_hat, axes=(0, 1)).real


def random_phase_noise(exemplar: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random-phase noise of an HxWx3 exemplar: same Fourier modulus, one random phase for all channels.

    The phase is that of the FFT of white noise (Hermitian-odd, so the result is real), with the DC
    term's phase set to 0 to keep each channel's mean. Output HxWx3 float32 clipped to [0,1].
    """
    h, w = exemplar.shape[:2]
    spec = np.fft.rfft2(periodic_component(exemplar), axes=(0, 1))
    noise = np.fft.rfft2(rng.standard_normal((h, w)))
    phase = np.exp(1j * np.angle(noise))
    phase[0, 0] = 1.0
    out = np.fft.irfft2(spec * phase[:, :, None], s=(h, w), axes=(0, 1))
    return np.clip(out, 0.0, 1.0).astype(np.float32)


@element("random.random_phase")
def random_phase(size: int, rng: np.random.Generator) -> np.ndarray:
    """Random-phase texture of a random crop of a bundled natural texture (brick, grass or gravel)."""
    return random_phase_noise(bundled_texture_crop(size, rng), rng)
