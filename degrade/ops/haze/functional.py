"""Haze, pure numpy: the atmospheric scattering model ``I = J t + A (1 - t)`` with ``t = exp(-beta d)``.

``J`` is the clean image, ``A`` the atmospheric light (airlight), ``d`` a relative depth map
(0 = at the camera, 1 = the farthest point of the scene) and ``beta`` the extinction coefficient
per unit of that depth. Like the RESIDE / SOTS synthetic haze sets, the model is applied to sRGB code
values by default; ``space="linear"`` applies it to linear light (physically exact for radiance).

Depth comes from a file (:func:`load_depth`) or from :func:`synthetic_depth`: a ground-plane
gradient (the top of the picture is farther) plus a seeded smooth random field (clumps of nearer or
farther scene), drawn in numpy from the params' seed so the CPU and batch paths use the same map.
The rain and snow operators reuse the synthetic depth (:func:`synthetic_transmission`) for their veils.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import cv2
import numpy as np

from degrade.color import linear_to_srgb, srgb_to_linear
from restorebench.errors import InputError

DEPTH_NEAR = 0.1
"""Smallest value of a synthetic depth map: the nearest scene point is never at the lens."""
DEPTH_GRID = 5
"""Control points per side of the smooth random depth field (bicubic-interpolated to the image)."""
DEPTH_FIELD_WEIGHT = 0.35
"""Share of the smooth random field in the synthetic depth; the rest is the vertical ground-plane gradient."""
DEPTH_MAX_TILT_DEG = 10.0
"""Largest random tilt of the synthetic horizon (degrees)."""
DEPTH_SUBSAMPLE = 8
"""The synthetic depth is computed on a grid this many times coarser than the image, then resized bilinearly."""


def depth_draws(rng: np.random.Generator) -> np.ndarray:
    """The random numbers of one synthetic depth map: (1 + DEPTH_GRID**2,) float64, a uniform (horizon tilt)
    then the DEPTH_GRID x DEPTH_GRID Gaussian grid, drawn from ``rng`` in that order."""
    return np.concatenate([[rng.random()], rng.standard_normal(DEPTH_GRID * DEPTH_GRID)])


def coarse_synthetic_depths(draws: np.ndarray, h: int, w: int) -> np.ndarray:
    """Synthetic depth maps before their final resize, for N sets of :func:`depth_draws` at once:
    (N, ceil(h/DEPTH_SUBSAMPLE), ceil(w/DEPTH_SUBSAMPLE)) float32 in [DEPTH_NEAR, 1] (see :func:`synthetic_depth`)."""
    n = len(draws)
    hs, ws = -(-h // DEPTH_SUBSAMPLE), -(-w // DEPTH_SUBSAMPLE)
    grids = draws[:, 1:].reshape(n, DEPTH_GRID, DEPTH_GRID).astype(np.float32)
    field = np.stack([cv2.resize(g, (ws, hs), interpolation=cv2.INTER_CUBIC) for g in grids])
    field -= field.min(axis=(1, 2), keepdims=True)
    field /= np.maximum(field.max(axis=(1, 2), keepdims=True), np.float32(1e-6))
    tilt = np.tan(np.radians(DEPTH_MAX_TILT_DEG * (2.0 * draws[:, 0] - 1.0))).astype(np.float32)[:, None, None]
    ys = np.arange(hs, dtype=np.float32)[:, None] / np.float32(max(hs - 1, 1))
    xs = (np.arange(ws, dtype=np.float32)[None, :] - np.float32((ws - 1) / 2)) / np.float32(max(hs - 1, 1))
    depth = (1.0 - DEPTH_FIELD_WEIGHT) * (1.0 - ys - tilt * xs) + DEPTH_FIELD_WEIGHT * field
    depth -= depth.min(axis=(1, 2), keepdims=True)
    depth *= np.float32(1.0 - DEPTH_NEAR) / np.maximum(depth.max(axis=(1, 2), keepdims=True), np.float32(1e-6))
    depth += np.float32(DEPTH_NEAR)
    return depth.astype(np.float32, copy=False)


def synthetic_depth(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A plausible outdoor relative depth map, HxW float32 in [DEPTH_NEAR, 1] (1 = farthest).

    ``(1 - W) * g + W * f`` rescaled to [DEPTH_NEAR, 1], where ``g`` falls linearly from 1 at the
    (slightly tilted) top to 0 at the bottom and ``f`` is a bicubic interpolation of a
    DEPTH_GRID x DEPTH_GRID Gaussian grid normalised to [0, 1]. The map is smooth, so it is computed
    on a grid DEPTH_SUBSAMPLE times coarser and resized bilinearly. Draws :func:`depth_draws` from ``rng``.
    """
    coarse = coarse_synthetic_depths(depth_draws(rng)[None], h, w)[0]
    return cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR)


def synthetic_transmission(draws: np.ndarray, h: int, w: int, beta: float) -> np.ndarray:
    """``exp(-beta * depth)`` over the synthetic depth of one set of :func:`depth_draws`, HxW float32;
    evaluated on the coarse grid, then resized bilinearly (the veil is smooth; this is how the rain and
    snow veils are made on both paths)."""
    coarse = coarse_synthetic_depths(draws[None], h, w)[0]
    return cv2.resize(transmission_(coarse, beta), (w, h), interpolation=cv2.INTER_LINEAR)


@functools.lru_cache(maxsize=16)
def _read_depth(path: str, mtime_ns: int) -> np.ndarray:
    """A depth file as HxW float32 in [0, 1] (cached by path and modification time)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(f"depth {path}: unreadable .npy file ({exc})") from exc
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[:, :, 0]
        if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number):
            raise InputError(f"depth {path}: expected a 2-D numeric array, got shape {arr.shape} dtype {arr.dtype}")
        arr = arr.astype(np.float32)
        if not np.isfinite(arr).all() or arr.min() < 0.0 or arr.max() > 1.0:
            raise InputError(f"depth {path}: values must be finite and in [0, 1] (0 near .. 1 far); rescale it first")
        return arr
    arr = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise InputError(f"depth {path}: unreadable image; use a .npy array or a single-channel 8/16-bit PNG")
    if arr.ndim != 2:
        raise InputError(f"depth {path}: {arr.shape[2]} channels; a depth image must be single-channel")
    if arr.dtype not in (np.uint8, np.uint16):
        raise InputError(f"depth {path}: dtype {arr.dtype}; depth images must be 8- or 16-bit (or use .npy)")
    return arr.astype(np.float32) / np.float32(np.iinfo(arr.dtype).max)


def load_depth(path: str, h: int, w: int) -> np.ndarray:
    """Read a relative depth map (.npy floats in [0,1], or an 8/16-bit gray image scaled by its maximum code).

    Returns HxW float32 in [0, 1] resized to the image (bilinear; area averaging when shrinking).
    """
    if not os.path.isfile(path):
        raise InputError(f"depth {path}: no such file; pass a .npy or .png depth map (0 near .. 1 far) or omit depth")
    arr = _read_depth(path, os.stat(path).st_mtime_ns)
    if arr.shape != (h, w):
        shrink = arr.shape[0] * arr.shape[1] > h * w
        arr = cv2.resize(arr, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    return arr


def depth_map(depth: str | None, rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """The depth a haze-like operator uses: the file ``depth`` if given, else :func:`synthetic_depth` from ``rng``."""
    return load_depth(depth, h, w) if depth else synthetic_depth(rng, h, w)


def airlight_rgb(airlight: float, tint: float) -> np.ndarray:
    """Atmospheric light per channel: ``airlight * (1 - tint, 1, 1 + tint)`` clipped to [0, 1], float32 (3,)."""
    return np.clip(np.float32(airlight) * np.array([1.0 - tint, 1.0, 1.0 + tint], np.float32), 0.0, 1.0)


def transmission(depth: np.ndarray, beta: float) -> np.ndarray:
    """``exp(-beta * depth)``: the fraction of scene light reaching the camera, same shape, float32 in (0, 1]."""
    return np.exp(np.float32(-beta) * depth, dtype=np.float32)


def transmission_(depth: np.ndarray, beta: float) -> np.ndarray:
    """:func:`transmission` computed in place in the float32 ``depth`` array (returned)."""
    depth *= np.float32(-beta)
    return np.exp(depth, out=depth)


def scatter(img: np.ndarray, t: np.ndarray, airlight: np.ndarray) -> np.ndarray:
    """``img * t + A * (1 - t)``: img HxWx3, t HxW transmission, airlight (3,) -> HxWx3 float32."""
    t3 = cv2.cvtColor(t, cv2.COLOR_GRAY2RGB)
    veil = cv2.cvtColor(1.0 - t, cv2.COLOR_GRAY2RGB)
    veil *= airlight
    t3 *= img
    t3 += veil
    return t3


def atmospheric(img: np.ndarray, beta: float, airlight: float, tint: float, space: str,
                depth: str | None, rng: np.random.Generator) -> np.ndarray:
    """Haze an HxWx3 float32 [0,1] image (see module docstring); ``rng`` draws the synthetic depth."""
    h, w, _ = img.shape
    if beta == 0.0:
        return img.copy()
    t = transmission(depth_map(depth, rng, h, w), beta)
    a = airlight_rgb(airlight, tint)
    if space == "linear":
        return linear_to_srgb(scatter(srgb_to_linear(img), t, srgb_to_linear(a)))
    return scatter(img, t, a)
