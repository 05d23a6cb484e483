"""Random-texture chart elements: dead leaves, fractal (1/f) noise and random-phase textures.

* ``dead_leaves``: opaque disks with scale-invariant radii (density ``r^-3`` between :data:`LEAF_RADII`
  times the element size, as in the dead-leaves texture charts of IEEE 1858 / Cao, Guichard & Hornung
  2010), uniform centres, one random colour each, later leaves on top. Its power spectrum falls off
  close to ``f^-2``, like natural images.
* ``fractal``: Gaussian noise shaped to a ``f^-2`` power spectrum (``f^-1`` amplitude), luminance-dominant
  colour (R, G, B fields correlated 0.85).
* ``random_phase``: random-phase noise (Galerne, Gousseau & Morel 2011) of a bundled natural texture:
  the exemplar's Fourier modulus (of its periodic component) with one uniform random phase shared
  by R, G and B, so it keeps the exemplar's spectrum and colour correlations and loses its structure.
"""

from __future__ import annotations

import functools
import itertools

import cv2
import numpy as np

from degrade.grounds.natural import BUNDLED_TINTS, bundled_texture
from degrade.grounds.primitives import CHART_BLACK, CHART_MID, CHART_WHITE
from degrade.grounds.registry import element

LEAF_RADII = (1.0, 0.5)
"""Smallest radius (pixels) and largest radius (fraction of the element size) of dead leaves."""
LEAF_COVERAGE = 5.0
"""Mean number of leaves over each pixel; one more colour (the ground under all leaves) shows through
about exp(-5) = 0.7 % of the element. Fewer leaves bias the spectrum's slope above -2."""
LEAF_PASSES = 6
"""Front-to-back passes of the dead-leaves rasterizer (a speed setting; the result does not depend on it)."""
FRACTAL_STD = 0.13
"""Standard deviation of the fractal texture's channels (sRGB code values), about its 0.5 mean."""
FRACTAL_CHANNEL_CORR = 0.85
"""Correlation between the fractal texture's R, G and B fields."""


def power_law(rng: np.random.Generator, n: int, exponent: float, lo: float, hi: float) -> np.ndarray:
    """``n`` samples with density proportional to ``r^-exponent`` on [lo, hi] (inverse-CDF sampling), float64."""
    u = rng.random(n)
    if exponent == 1:
        return lo * (hi / lo) ** u
    a, b = lo ** (1.0 - exponent), hi ** (1.0 - exponent)
    return (a + u * (b - a)) ** (1.0 / (1.0 - exponent))


def visible_leaves(size: int, rng: np.random.Generator, rmin: float, rmax: float,
                   coverage: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Radii and centres (r, cx, cy; pixels, float64) of the leaves whose bounding box meets the element.

    Leaves fall with ``r^-3`` radii and uniform centres on the whole plane, ``coverage`` leaves over each
    point on average. Only those with a centre within ``r`` of the size x size square can be seen, so
    radii are drawn from ``r^-3 (size + 2r)^2`` (a mixture of three power laws) and the centre
    uniformly in the square grown by ``r``: the same process, without the leaves that fall far away.
    """
    weights = np.array([size ** 2 * (rmin ** -2 - rmax ** -2) / 2, 4 * size * (rmin ** -1 - rmax ** -1),
                        4 * np.log(rmax / rmin)])
    norm = (rmin ** -2 - rmax ** -2) / 2
    mean_area = np.pi * np.log(rmax / rmin) / norm
    n = int(np.ceil(coverage * weights.sum() / norm / mean_area))
    part = rng.choice(3, size=n, p=weights / weights.sum())
    r = np.empty(n)
    for k in range(3):
        r[part == k] = power_law(rng, int((part == k).sum()), 3.0 - k, rmin, rmax)
    cx = rng.uniform(-r, size + r)
    cy = rng.uniform(-r, size + r)
    return r, cx, cy


def disk_row_spans(size: int, r: np.ndarray, cx: np.ndarray, cy: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row spans of disks on a size x size pixel grid: (disk index, row, first column, end column), int64.

    A pixel belongs to a disk when its centre ``(x + 0.5, y + 0.5)`` lies inside; each span covers the
    columns ``[first, end)`` of one row. Empty spans are dropped; spans come in disk order.
    """
    y0 = np.clip(np.ceil(cy - r - 0.5), 0, size).astype(np.int64)
    y1 = np.clip(np.floor(cy + r - 0.5) + 1, 0, size).astype(np.int64)
    rows = np.maximum(y1 - y0, 0)
    disk = np.repeat(np.arange(len(r)), rows)
    y = y0[disk] + np.arange(int(rows.sum())) - np.repeat(np.cumsum(rows) - rows, rows)
    half = np.sqrt(np.maximum(r[disk] ** 2 - (y + 0.5 - cy[disk]) ** 2, 0.0))
    first = np.clip(np.ceil(cx[disk] - half - 0.5), 0, size).astype(np.int64)
    end = np.clip(np.floor(cx[disk] + half - 0.5) + 1, 0, size).astype(np.int64)
    keep = end > first
    return disk[keep], y[keep], first[keep], end[keep]


def dead_leaves_labels(size: int, rng: np.random.Generator, rmin: float, rmax: float,
                       coverage: float = LEAF_COVERAGE) -> np.ndarray:
    """Index of the top leaf at each pixel (size x size int64; -1 where no leaf covers the pixel).

    Leaf ``i`` lies on top of leaves ``< i`` (see :func:`visible_leaves` for the process). Rasterized
    without per-leaf Python loops, front to back in :data:`LEAF_PASSES` passes of leaves, newest first:
    each pass lists the pixels of its leaves' row spans, skips spans that newer leaves already cover
    (per-row prefix counts of covered pixels), and gives each still-free pixel the largest leaf index
    over it (``np.maximum.at``). Hidden leaves, most of them, thus cost almost nothing.
    """
    r, cx, cy = visible_leaves(size, rng, rmin, rmax, coverage)
    leaf, y, first, end = disk_row_spans(size, r, cx, cy)
    labels = np.full(size * size, -1, np.int64)
    covered = np.zeros((size, size + 1), np.int64)
    bounds = np.linspace(len(r), 0, LEAF_PASSES + 1).astype(np.int64)
    for hi, lo in itertools.pairwise(bounds):
        sel = np.arange(*np.searchsorted(leaf, (lo, hi)))  # spans come in leaf order
        sel = sel[covered[y[sel], end[sel]] - covered[y[sel], first[sel]] < end[sel] - first[sel]]
        width = end[sel] - first[sel]
        span = np.repeat(sel, width)
        px = first[span] + np.arange(int(width.sum())) - np.repeat(np.cumsum(width) - width, width)
        pixel = y[span] * size + px
        free = labels[pixel] < 0
        np.maximum.at(labels, pixel[free], leaf[span][free])
        np.cumsum((labels >= 0).reshape(size, size), axis=1, out=covered[:, 1:])
    return labels.reshape(size, size)


@element("random.dead_leaves")
def dead_leaves(size: int, rng: np.random.Generator) -> np.ndarray:
    """Colour dead-leaves texture: each leaf (and the background) one RGB colour uniform in the chart tones."""
    rmin, rmax_frac = LEAF_RADII
    labels = dead_leaves_labels(size, rng, rmin, max(rmin * 2, rmax_frac * size))
    colors = rng.uniform(CHART_BLACK, CHART_WHITE, (int(labels.max()) + 2, 3)).astype(np.float32)
    return colors[labels + 1]


def power_law_noise(shape: tuple[int, ...], rng: np.random.Generator, exponent: float = 2.0) -> np.ndarray:
    """Zero-mean, unit-std Gaussian fields (..., H, W) float32 with power spectrum ``|f|^-exponent``.

    The half-plane spectrum is drawn directly as complex white Gaussian noise (what the FFT of white
    noise is) weighted by ``|f|^(-exponent/2)``, then inverse-transformed once.
    """
    h, w = shape[-2:]
    fy = np.fft.fftfreq(h).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(w).astype(np.float32)[None, :]
    amp = np.maximum(np.hypot(fy, fx), np.float32(1.0 / max(h, w))) ** np.float32(-exponent / 2.0)
    amp[0, 0] = 0.0
    parts = rng.standard_normal((2, *shape[:-2], h, w // 2 + 1), dtype=np.float32)
    field = np.fft.irfft2((parts[0] + 1j * parts[1]) * amp, s=(h, w))
    field /= field.std(axis=(-2, -1), keepdims=True)
    return field.astype(np.float32, copy=False)


@element("random.fractal")
def fractal(size: int, rng: np.random.Generator) -> np.ndarray:
    """Fractal 1/f texture (power ``f^-2``), channels of std :data:`FRACTAL_STD` about mid-gray.

    R, G, B are three independent fields mixed by the Cholesky factor of a correlation matrix with
    :data:`FRACTAL_CHANNEL_CORR` off the diagonal: luminance-dominant texture with some colour.
    """
    fields = power_law_noise((3, size, size), rng)
    corr = np.full((3, 3), FRACTAL_CHANNEL_CORR, np.float32)
    np.fill_diagonal(corr, 1.0)
    rgb = np.tensordot(fields, np.linalg.cholesky(corr).T, axes=([0], [0]))
    return np.clip(CHART_MID + FRACTAL_STD * rgb, 0.0, 1.0).astype(np.float32)


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


@functools.lru_cache(maxsize=32)
def exemplar_spectrum(name: str, size: int) -> np.ndarray:
    """rfft2 (size x (size//2+1) x 3 complex128) of the periodic component of a bundled texture's exemplar.

    The exemplar is the texture's central square of side min(512, 1.5 size) resized to size x size. A
    stationary texture's spectrum does not depend on where it is cropped, so it is computed once per
    (texture, size) and only the phase is drawn per ground.
    """
    tex = bundled_texture(name)
    side = min(tex.shape[0], tex.shape[1], round(1.5 * size))
    top, left = (tex.shape[0] - side) // 2, (tex.shape[1] - side) // 2
    exemplar = cv2.resize(np.ascontiguousarray(tex[top:top + side, left:left + side]), (size, size),
                          interpolation=cv2.INTER_AREA if side >= size else cv2.INTER_CUBIC)
    spec = np.fft.rfft2(periodic_component(exemplar), axes=(0, 1))
    spec.flags.writeable = False
    return spec


def random_phase_noise(spectrum: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Random-phase noise from an exemplar's rfft2 ``spectrum`` (HxW' x3): one random phase added to all channels.

    The phase is that of the FFT of white noise (Hermitian-odd, so the result is real), with the DC
    term's phase set to 0 to keep each channel's mean. Output size x size x 3 float32 clipped to [0,1].
    """
    noise = np.fft.rfft2(rng.standard_normal((size, size), dtype=np.float32))
    phase = noise / np.maximum(np.abs(noise), 1e-12)
    phase[0, 0] = 1.0
    out = np.fft.irfft2(spectrum * phase[:, :, None], s=(size, size), axes=(0, 1))
    return np.clip(out, 0.0, 1.0).astype(np.float32)


@element("random.random_phase")
def random_phase(size: int, rng: np.random.Generator) -> np.ndarray:
    """Random-phase texture of a bundled natural texture (brick, grass or gravel, chosen by ``rng``)."""
    names = sorted(BUNDLED_TINTS)
    return random_phase_noise(exemplar_spectrum(names[int(rng.integers(len(names)))], size), size, rng)
