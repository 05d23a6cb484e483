"""Color transfers shared by operators: sRGB <-> linear light (IEC 61966-2-1) and luminance.

Each function takes numpy arrays or torch tensors (float, values in [0,1]) and returns the same type.
"""

from __future__ import annotations

from typing import Any

import numpy as np

LUMA_BT709 = (0.2126, 0.7152, 0.0722)
"""Linear-light luminance weights of sRGB primaries (BT.709)."""


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


def srgb_to_linear(x: Any) -> Any:
    """sRGB-encoded values in [0,1] -> linear light in [0,1]."""
    if _is_torch(x):
        import torch

        return torch.where(x <= 0.04045, x / 12.92, ((x.clamp(min=0.04045) + 0.055) / 1.055) ** 2.4)
    x = np.asarray(x)
    t = np.maximum(x, 0.04045, out=_float_like(x))
    t += 0.055
    t *= 1 / 1.055
    power_(t, 2.4)
    np.copyto(t, x / 12.92, where=x <= 0.04045)
    return t.astype(x.dtype, copy=False)


def linear_to_srgb(x: Any) -> Any:
    """Linear light in [0,1] -> sRGB-encoded values in [0,1] (inputs are clipped to [0,1])."""
    if _is_torch(x):
        import torch

        x = x.clamp(0.0, 1.0)
        return torch.where(x <= 0.0031308, x * 12.92, 1.055 * x.clamp(min=0.0031308) ** (1 / 2.4) - 0.055)
    x = np.clip(np.asarray(x), 0.0, 1.0)
    t = np.maximum(x, 0.0031308, out=_float_like(x))
    power_(t, 1 / 2.4)
    t *= 1.055
    t -= 0.055
    np.copyto(t, x * 12.92, where=x <= 0.0031308)
    return t.astype(x.dtype, copy=False)


def _float_like(x: np.ndarray) -> np.ndarray:
    """An uninitialized float array shaped like ``x`` (its dtype if floating, else float64; 0-d stays an array)."""
    return np.empty(x.shape, np.result_type(x.dtype, np.float32))


def power_(t: np.ndarray, p: float) -> np.ndarray:
    """``t **= p`` in place for ``t >= 0`` and ``p > 0`` (returns ``t``), as ``exp(p log t)``: numpy's
    float32 exp and log are vectorized, its float32 power is not (within 1e-6 of ``t ** p`` on [0, 1];
    zeros stay zeros)."""
    with np.errstate(divide="ignore"):
        np.log(t, out=t)
    t *= p
    return np.exp(t, out=t)


def luminance(x: Any) -> Any:
    """Linear luminance Y of linear RGB: HxWx3 numpy -> HxW, or Nx3xHxW torch -> Nx1xHxW."""
    r, g, b = LUMA_BT709
    if _is_torch(x):
        return r * x[:, 0:1] + g * x[:, 1:2] + b * x[:, 2:3]
    return (r * x[..., 0] + g * x[..., 1] + b * x[..., 2]).astype(x.dtype)
