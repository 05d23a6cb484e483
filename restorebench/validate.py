"""Checks on in-memory images. Convention: HxWx3 float32 RGB in [0,1] (numpy) or Nx3xHxW (torch)."""

from __future__ import annotations

from typing import Any

import numpy as np

from restorebench.errors import InputError
from restorebench.jit import compiled

MIN_SIDE = 16
"""Smallest height or width (pixels) that operators and models accept; smaller inputs raise InputError."""


def describe(arr: Any) -> str:
    """Short description of an array-like for error messages: shape and dtype."""
    shape = tuple(getattr(arr, "shape", ()))
    return f"shape {shape} dtype {getattr(arr, 'dtype', type(arr).__name__)}"


def check_image(img: Any, what: str = "image", min_side: int = MIN_SIDE) -> np.ndarray:
    """Return ``img`` unchanged if it is an HxWx3 float32 array in [0,1]; raise a one-line InputError otherwise."""
    if not isinstance(img, np.ndarray):
        raise InputError(f"{what}: expected a numpy HxWx3 float32 array, got {type(img).__name__}")
    if img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1):
        raise InputError(f"{what}: grayscale {describe(img)}; convert with restorebench.imageio.to_rgb_float(img)")
    if img.ndim != 3 or img.shape[2] != 3:
        hint = " (RGBA: drop or composite the alpha channel)" if img.ndim == 3 and img.shape[2] == 4 else ""
        raise InputError(f"{what}: expected HxWx3 RGB, got {describe(img)}{hint}")
    if img.dtype != np.float32:
        raise InputError(
            f"{what}: expected float32 in [0,1], got {img.dtype}; convert with restorebench.imageio.to_rgb_float(img)"
        )
    check_side(img.shape[0], img.shape[1], what, min_side)
    check_finite_range(img, what)
    return img


def check_side(height: int, width: int, what: str, min_side: int = MIN_SIDE) -> None:
    """Raise InputError if ``height`` or ``width`` is below ``min_side`` pixels."""
    if min(height, width) < min_side:
        raise InputError(f"{what}: image is {height}x{width}; at least {min_side}x{min_side} pixels are needed")


def check_finite_range(arr: Any, what: str) -> None:
    """Raise InputError if ``arr`` (numpy or torch) holds NaN/Inf or values outside [0,1] (1e-6 slack)."""
    if isinstance(arr, np.ndarray):
        one_pass = arr.dtype == np.float32 and arr.size and arr.flags.c_contiguous
        if one_pass and _all_within(arr.reshape(-1), *UNIT32):
            return
        lo, hi = float(arr.min()), float(arr.max())
    else:  # torch: one pass and one device synchronization for both
        import torch

        lo, hi = (float(v) for v in torch.stack(arr.aminmax()).tolist())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise InputError(f"{what}: contains NaN or Inf; clean the input (e.g. np.nan_to_num) before degrading")
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise InputError(f"{what}: values span [{lo:.4g}, {hi:.4g}], outside [0,1]; clip or rescale first")


def _float32_bounds(low: float, high: float) -> tuple[np.float32, np.float32]:
    """The float32 (lo, hi) with ``lo <= v <= hi`` exactly when ``low <= v <= high`` for every float32 v."""
    lo, hi = np.float32(low), np.float32(high)
    if float(lo) < low:
        lo = np.nextafter(lo, np.float32(np.inf))
    if float(hi) > high:
        hi = np.nextafter(hi, np.float32(-np.inf))
    return lo, hi


UNIT32 = _float32_bounds(-1e-6, 1 + 1e-6)
"""The [0,1] range with its 1e-6 slack, as float32 bounds (compared in float32, in one pass)."""


@compiled
def _all_within(values: np.ndarray, lo: np.float32, hi: np.float32) -> bool:
    """Whether every value of a 1-D float32 array lies in [lo, hi] (False where one is NaN)."""
    outside = False
    for i in range(values.shape[0]):
        v = values[i]
        outside |= not (v >= lo and v <= hi)
    return not outside


def check_batch(x: Any, what: str = "batch", min_side: int = MIN_SIDE) -> Any:
    """Return ``x`` unchanged if it is an Nx3xHxW floating torch tensor in [0,1]; raise InputError otherwise."""
    import torch

    if not isinstance(x, torch.Tensor):
        raise InputError(f"{what}: expected a torch NCHW tensor, got {type(x).__name__}")
    if x.ndim != 4 or x.shape[1] != 3:
        raise InputError(f"{what}: expected Nx3xHxW, got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise InputError(f"{what}: expected a floating tensor in [0,1], got {x.dtype}")
    check_side(x.shape[2], x.shape[3], what, min_side)
    check_finite_range(x, what)
    return x


def check_int(value: Any, where: str, low: int, high: int | None = None) -> int:
    """``value`` if it is an integer (not a bool) in ``[low, high]`` (no upper bound when ``high`` is None);
    else a one-line InputError ``"<where>=<value>: expected an integer ..."``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise InputError(f"{where}={value!r}: expected an integer {bound}")
    return value
