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
    return np.where(x <= 0.04045, x / 12.92, ((np.maximum(x, 0.04045) + 0.055) / 1.055) ** 2.4).astype(x.dtype)


def linear_to_srgb(x: Any) -> Any:
    """Linear light in [0,1] -> sRGB-encoded values in [0,1] (inputs are clipped to [0,1])."""
    if _is_torch(x):
        import torch

        x = x.clamp(0.0, 1.0)
        return torch.where(x <= 0.0031308, x * 12.92, 1.055 * x.clamp(min=0.0031308) ** (1 / 2.4) - 0.055)
    x = np.clip(np.asarray(x), 0.0, 1.0)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.maximum(x, 0.0031308) ** (1 / 2.4) - 0.055).astype(x.dtype)


def luminance(x: Any) -> Any:
    """Linear luminance Y of linear RGB: HxWx3 numpy -> HxW, or Nx3xHxW torch -> Nx1xHxW."""
    r, g, b = LUMA_BT709
    if _is_torch(x):
        return r * x[:, 0:1] + g * x[:, 1:2] + b * x[:, 2:3]
    return (r * x[..., 0] + g * x[..., 1] + b * x[..., 2]).astype(x.dtype)
