"""Blur kernels (point spread functions) as pure numpy: Gaussian, defocus disk, motion line, shake trajectory.

Every function returns a float32 2-D kernel with odd sides, non-negative entries summing to 1, centred
on its middle pixel (convolving with it does not shift the image). Coordinates: x to the right, y
down (image rows); angles in degrees, counter-clockwise as seen on screen (0 = horizontal, 90 = up).
Lengths and radii are in pixels.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from restorebench.errors import InputError
from restorebench.jit import compiled

SUPERSAMPLE = 8
"""Sub-samples per pixel side used to anti-alias disks and lines by area coverage."""

TRAJECTORY_STEPS = 2000
"""Samples along a camera-shake trajectory (equal exposure time each); 2000 as in Boracchi & Foi's model."""

TRAJECTORY_PATH = 60.0
"""Path length (pixels) at which shake shapes are drawn before scaling: the published model's default."""


def _check_nonneg(what: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{what}={value!r}: must be a finite number >= 0 (pixels)")
    return value


def _normalized(k: np.ndarray) -> np.ndarray:
    k = np.asarray(k, np.float64)
    return (k / k.sum()).astype(np.float32)


def delta_kernel() -> np.ndarray:
    """The identity kernel: 1x1 [[1]]."""
    return np.ones((1, 1), np.float32)


def gaussian_factors(sigma_x: float, sigma_y: float, angle_deg: float = 0.0) -> tuple[np.ndarray, np.ndarray] | None:
    """(column, row): 1-D float32 Gaussians, each summing to 1, whose outer product is
    :func:`gaussian_kernel` (same size and sampling) when the Gaussian is separable along the image axes
    (isotropic, or axes at a multiple of 90 degrees); None otherwise."""
    sx, sy = _check_nonneg("sigma_x", sigma_x), _check_nonneg("sigma_y", sigma_y)
    quarter = angle_deg / 90.0
    if sx != sy and quarter != round(quarter):
        return None
    if sx != sy and round(quarter) % 2:
        sx, sy = sy, sx  # axes turned a quarter: x's sigma runs along the rows
    return _gaussian_pair(sx, sy)


@functools.lru_cache(maxsize=256)
def _gaussian_pair(sx: float, sy: float) -> tuple[np.ndarray, np.ndarray]:
    """(column, row) read-only float32 factors: Gaussians of std ``sy`` and ``sx`` on ``2*ceil(4*max)+1`` taps."""
    r = math.ceil(4 * max(sx, sy))
    t = np.arange(-r, r + 1, dtype=np.float64)
    # a zero sigma is the limit of a very thin Gaussian, as in gaussian_kernel
    pair = tuple(_normalized(np.exp(-0.5 * (t / max(s, 1e-3)) ** 2)) for s in (sy, sx))
    for f in pair:
        f.setflags(write=False)
    return pair


def gaussian_kernel(sigma_x: float, sigma_y: float, angle_deg: float = 0.0, size: int | None = None) -> np.ndarray:
    """Sampled 2-D Gaussian with stds ``sigma_x``/``sigma_y`` (pixels) along axes rotated by ``angle_deg``.

    ``size`` (odd, pixels) defaults to ``2*ceil(4*max(sigma))+1``, which keeps the truncated tails
    below 1e-4 of the mass. Samples are taken at pixel centres (the convention of OpenCV and
    scikit-image), so sigmas below about 0.4 px approach the delta; a zero sigma keeps only the pixel
    centres lying on the other axis (both zero: the delta).
    """
    sx, sy = _check_nonneg("sigma_x", sigma_x), _check_nonneg("sigma_y", sigma_y)
    if size is None:
        size = 2 * math.ceil(4 * max(sx, sy)) + 1
    if size < 1 or size % 2 == 0:
        raise InputError(f"gaussian kernel size={size!r}: must be a positive odd integer")
    if max(sx, sy) == 0:
        k = np.zeros((size, size), np.float32)
        k[size // 2, size // 2] = 1.0
        return k
    r = size // 2
    y, x = np.mgrid[-r:r + 1, -r:r + 1].astype(np.float64)
    t = math.radians(angle_deg)
    # rotate pixel offsets into the kernel's own axes (screen y points down, so "up" is -y)
    u = x * math.cos(t) - y * math.sin(t)
    v = x * math.sin(t) + y * math.cos(t)
    # a zero sigma is the limit of a very thin Gaussian: only centres on the other axis keep weight
    eps = 1e-3
    q = (u / max(sx, eps)) ** 2 + (v / max(sy, eps)) ** 2
    return _normalized(np.exp(-0.5 * q))


def _coverage(inside, radius_px: float) -> np.ndarray:
    """Area coverage of each pixel by a region, estimated on a SUPERSAMPLE^2 grid per pixel.

    ``inside(x, y)`` tells for sub-sample centres (float arrays, pixels, origin at the kernel centre)
    whether they lie in the region; the region must fit in ``radius_px`` of the centre.
    """
    r = math.ceil(radius_px + 0.5)
    n = 2 * r + 1
    s = SUPERSAMPLE
    offs = (np.arange(n * s) + 0.5) / s - (r + 0.5)
    y, x = np.meshgrid(offs, offs, indexing="ij")
    cov = inside(x, y).reshape(n, s, n, s).sum(axis=(1, 3), dtype=np.float64)
    return _trim(cov)


def _trim(k: np.ndarray) -> np.ndarray:
    """Drop all-zero outer rows and columns in symmetric pairs (keeps odd sides and the centre), normalise."""
    rows = np.flatnonzero(k.any(axis=1))
    cols = np.flatnonzero(k.any(axis=0))
    if rows.size == 0:
        return delta_kernel()
    ch, cw = k.shape[0] // 2, k.shape[1] // 2
    rh = max(ch - rows[0], rows[-1] - ch)
    rw = max(cw - cols[0], cols[-1] - cw)
    return _normalized(k[ch - rh:ch + rh + 1, cw - rw:cw + rw + 1])


def disk_kernel(radius: float) -> np.ndarray:
    """Defocus PSF: a uniform disk of ``radius`` pixels, anti-aliased by pixel area coverage.

    Radius 0 gives the delta; radii below half a pixel give a kernel close to it. Read-only: disks are
    cached by radius (supersampling a disk is a large part of a blur's cost).
    """
    return _disk(_check_nonneg("radius", radius))


@functools.lru_cache(maxsize=256)
def _disk(radius: float) -> np.ndarray:
    k = delta_kernel() if radius == 0 else _coverage(lambda x, y: x * x + y * y <= radius * radius, radius)
    k.setflags(write=False)
    return k


def line_kernel(length: float, angle_deg: float, width: float = 1.0) -> np.ndarray:
    """Straight motion PSF: a ``length`` x ``width`` rectangle (pixels) centred on the origin, at ``angle_deg``.

    Anti-aliased by pixel area coverage, so sub-pixel lengths and angles render smoothly.
    Length 0 gives a ``width``-wide dot.
    """
    length, width = _check_nonneg("length", length), _check_nonneg("width", width)
    if width == 0:
        raise InputError("line kernel width=0: must be > 0 pixels")
    t = math.radians(angle_deg)
    c, s = math.cos(t), math.sin(t)
    half_l, half_w = length / 2, width / 2
    # a rectangle thinner than a sub-sample would fall between sample points: widen it to one sub-sample
    half_w = max(half_w, 0.5 / SUPERSAMPLE)
    half_l = max(half_l, 0.5 / SUPERSAMPLE)

    def inside(x, y):
        along = x * c - y * s
        across = x * s + y * c
        return (np.abs(along) <= half_l) & (np.abs(across) <= half_w)

    return _coverage(inside, math.hypot(half_l, half_w))


def _shake_draws(rng: np.random.Generator, anxiety: float | None, m: int) -> tuple:
    """One trajectory's random inputs, in a fixed draw order: (anxiety, centripetal, Gaussian term, shake
    frequency, initial direction, (4, m) float64 rows: shake and reversal-angle uniforms, kick normals x and y)."""
    anxiety = 0.1 * rng.random() if anxiety is None else float(anxiety)
    centripetal = 0.7 * rng.random()
    gaussian_term = 10.0 * rng.random()
    freq_big_shakes = 0.2 * rng.random()
    a = 2 * math.pi * rng.random()
    steps = np.empty((4, m))
    rng.random(out=steps[0])
    rng.random(out=steps[1])
    rng.standard_normal(out=steps[2])
    rng.standard_normal(out=steps[3])
    return anxiety, centripetal, gaussian_term, freq_big_shakes, complex(math.cos(a), math.sin(a)), steps


def shake_trajectories(
    rngs: list[np.random.Generator],
    lengths: list[float],
    anxiety: float | None = None,
    n_steps: int = TRAJECTORY_STEPS,
) -> np.ndarray:
    """Random camera-shake trajectories, one per generator: complex positions, shape (N, n_steps).

    The random-walk model of Boracchi & Foi (IEEE TIP 2012, "Modeling the performance of image
    restoration from motion blur"): a point moves at constant speed (total path ``lengths[i]``
    pixels) while its velocity gets Gaussian kicks, a centripetal pull towards the start and, with a
    small probability per step, an impulsive shake that reverses the direction. ``anxiety`` (0..0.1
    in the paper) scales the perturbations; when None it is drawn uniformly from [0, 0.1), as are the
    model's other coefficients (centripetal pull in [0, 0.7), Gaussian term in [0, 10), impulsive
    shake frequency in [0, 0.2)). Trajectory i depends on ``rngs[i]`` alone; the step recurrence is a
    compiled loop (:func:`_walk`).
    """
    lengths = [_check_nonneg("length", v) for v in lengths]
    m = n_steps - 1
    draws = [_shake_draws(rng, anxiety, m) for rng in rngs]
    anx, centripetal, gaussian_term, freq = (np.array([d[k] for d in draws]) for k in range(4))
    step = np.array(lengths) / m
    # a zero length would normalise a zero velocity: draw at unit length and scale the positions
    unit = np.where(step > 0, step, 1.0 / m)
    v = np.array([d[4] for d in draws]) * np.where(anx > 0, anx, unit)
    out = np.empty((len(draws), n_steps), np.complex128)
    _walk(v, anx * unit, centripetal, unit, gaussian_term, freq * anx, np.stack([d[5] for d in draws]), out)
    return out * (step / unit)[:, None]


@compiled
def _walk(v0: np.ndarray, gain: np.ndarray, centripetal: np.ndarray, unit: np.ndarray, gaussian_term: np.ndarray,
          shake_p: np.ndarray, steps: np.ndarray, out: np.ndarray) -> None:
    """The trajectories' step recurrence, one row of ``out`` (N, steps) complex128 per initial velocity ``v0[i]``.

    Each step the velocity gets a Gaussian kick (``gaussian_term`` times the normals ``steps[i, 2:4]``),
    the centripetal pull and, where the uniform ``steps[i, 0]`` falls below ``shake_p``, an impulsive
    reversal by twice a unit vector at angle pi + ``steps[i, 1]`` - 0.5; it is renormalised to speed
    ``unit[i]`` and moves x.
    """
    out[:, 0] = 0j
    v = v0.copy()
    # steps outer, trajectories inner: the N recurrences are independent chains the CPU overlaps
    for t in range(steps.shape[2]):
        for i in range(out.shape[0]):
            x = out[i, t]
            kick = complex(steps[i, 2, t] * gaussian_term[i], steps[i, 3, t] * gaussian_term[i])
            moved = v[i] + gain[i] * (kick - centripetal[i] * x)
            if steps[i, 0, t] < shake_p[i]:
                angle = math.pi + steps[i, 1, t] - 0.5
                moved = moved + complex(2.0 * math.cos(angle), 2.0 * math.sin(angle)) * v[i]
            v[i] = moved * (unit[i] / abs(moved))
            out[i, t + 1] = x + v[i]


def shake_trajectory(
    rng: np.random.Generator, length: float, anxiety: float | None = None, n_steps: int = TRAJECTORY_STEPS
) -> np.ndarray:
    """One camera-shake trajectory of path ``length`` pixels, shape (n_steps,) (see :func:`shake_trajectories`)."""
    return shake_trajectories([rng], [length], anxiety, n_steps)[0]


def render_trajectory(pos: np.ndarray) -> np.ndarray:
    """PSF of a trajectory (complex pixel positions, equal exposure per sample), bilinear sub-pixel splats.

    The kernel is centred on the trajectory's mean position, so blurring does not shift the image.
    """
    p = pos - pos.mean()
    x, y = p.real, p.imag
    r = math.ceil(max(np.abs(x).max(), np.abs(y).max())) + 1
    n = 2 * r + 1
    k = np.zeros((n, n))
    _bilinear_splat(x, y, r, k)
    return _trim(k)


@compiled
def _bilinear_splat(x: np.ndarray, y: np.ndarray, r: int, k: np.ndarray) -> None:
    """Add each sample's bilinear weights to the float64 grid ``k`` ((2r+1) x (2r+1), origin at its centre):
    first every sample's top-left share, then top-right, bottom-left, bottom-right (a fixed summation order)."""
    for corner in range(4):
        dy, dx = corner // 2, corner % 2
        for t in range(x.shape[0]):
            x0, y0 = math.floor(x[t]), math.floor(y[t])
            fx, fy = x[t] - x0, y[t] - y0
            wx = fx if dx else 1 - fx
            wy = fy if dy else 1 - fy
            k[int(y0) + r + dy, int(x0) + r + dx] += wy * wx


def trajectory_kernels(
    rngs: list[np.random.Generator], lengths: list[float], anxiety: float | None = None,
    n_steps: int = TRAJECTORY_STEPS,
) -> list[np.ndarray]:
    """Camera-shake PSFs whose extents (longer side of the trajectory's bounding box) are ``lengths`` pixels.

    Each shape is a :func:`shake_trajectories` path drawn at the model's reference path length
    (TRAJECTORY_PATH, where its centripetal pull has the strength of the published model), scaled to
    the requested extent and rendered by :func:`render_trajectory`. Scaling to the extent makes the
    length comparable with the kernel size of straight-line motion blurs.
    """
    lengths = [_check_nonneg("length", v) for v in lengths]
    paths = shake_trajectories(rngs, [TRAJECTORY_PATH] * len(rngs), anxiety, n_steps)
    kernels = []
    for pos, length in zip(paths, lengths):
        extent = max(np.ptp(pos.real), np.ptp(pos.imag))
        kernels.append(render_trajectory(pos * (length / extent) if extent > 0 else pos * 0))
    return kernels


def trajectory_kernel(
    rng: np.random.Generator, length: float, anxiety: float | None = None, n_steps: int = TRAJECTORY_STEPS
) -> np.ndarray:
    """One camera-shake PSF of extent ``length`` pixels (see :func:`trajectory_kernels`)."""
    return trajectory_kernels([rng], [length], anxiety, n_steps)[0]


def check_kernel(kernel: object, what: str = "kernel", tol: float = 1e-3) -> np.ndarray:
    """Validate a user kernel (2-D, odd sides, finite, non-negative, sum 1 within ``tol``) -> float32 summing to 1."""
    try:
        k = np.asarray(kernel, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InputError(f"{what}: not a rectangular array of numbers ({e})") from None
    if k.ndim != 2 or k.shape[0] % 2 == 0 or k.shape[1] % 2 == 0:
        raise InputError(f"{what}: shape {k.shape}; a kernel is 2-D with odd sides (e.g. 15x15)")
    if not np.isfinite(k).all():
        raise InputError(f"{what}: contains NaN or Inf")
    if (k < 0).any():
        raise InputError(f"{what}: has negative entries (min {k.min():.4g}); blur kernels are non-negative")
    total = k.sum()
    if abs(total - 1.0) > tol:
        raise InputError(f"{what}: sums to {total:.6g}, not 1; divide it by its sum")
    return _normalized(k)
