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


LUMA_BT601 = (0.299, 0.587, 0.114)
"""Luma weights of YCbCr (BT.601, full range)."""


def _xp(x: Any) -> Any:
    """The array module of ``x``: torch for tensors, numpy otherwise."""
    if _is_torch(x):
        import torch

        return torch
    return np


def mix_channels(x: Any, matrix: np.ndarray) -> Any:
    """Apply a 3x3 colour matrix to every pixel: numpy HxWx3 (last axis) or torch ...x3xHxW (axis -3)."""
    if _is_torch(x):
        import torch

        return torch.einsum("ij,...jhw->...ihw", torch.as_tensor(matrix, dtype=x.dtype, device=x.device), x)
    return x @ np.asarray(matrix, np.float32).T


def reduce_chroma(x: Any, fraction: float) -> Any:
    """Remove ``fraction`` of the chroma (Cb, Cr of BT.601 YCbCr) of RGB values, keeping their luma Y.

    YCbCr is linear in RGB and Cb = Cr = 0 means R = G = B = Y, so this is ``Y + (1 - fraction) * (x - Y)``
    per channel; ``fraction=1`` leaves R = G = B = Y. Numpy HxWx3 or torch ...x3xHxW, any values.
    """
    r, g, b = LUMA_BT601
    if _is_torch(x):
        y = r * x[..., 0:1, :, :] + g * x[..., 1:2, :, :] + b * x[..., 2:3, :, :]
    else:
        y = (r * x[..., 0:1] + g * x[..., 1:2] + b * x[..., 2:3]).astype(x.dtype)
    return y + (1.0 - fraction) * (x - y)


def smoothstep(x: Any) -> Any:
    """The global tone curve of Brooks et al. (CVPR 2019): ``3x^2 - 2x^3`` on values clipped to [0,1]."""
    x = _xp(x).clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def inverse_smoothstep(y: Any) -> Any:
    """Inverse of :func:`smoothstep` on [0,1]: ``0.5 - sin(asin(1 - 2y) / 3)`` (inputs clipped to [0,1])."""
    xp = _xp(y)
    return 0.5 - xp.sin(xp.arcsin(1.0 - 2.0 * xp.clip(y, 0.0, 1.0)) / 3.0)


CAMERA_GAMMA = 2.2
"""Display gamma of the camera pipeline of Brooks et al.: encoded = linear ** (1 / 2.2)."""

_XYZ_TO_CAMERA = np.mean([
    [[1.0234, -0.2969, -0.2266], [-0.5625, 1.6328, -0.0469], [-0.0703, 0.2188, 0.6406]],
    [[0.4913, -0.0541, -0.0202], [-0.613, 1.3513, 0.2906], [-0.1564, 0.2151, 0.7183]],
    [[0.838, -0.263, -0.0639], [-0.2887, 1.0725, 0.2496], [-0.0627, 0.1427, 0.5438]],
    [[0.6596, -0.2079, -0.0562], [-0.4782, 1.3016, 0.1933], [-0.097, 0.1581, 0.5181]],
], axis=0)
_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])
_SRGB_TO_CAMERA = _XYZ_TO_CAMERA @ _SRGB_TO_XYZ
CAMERA_TO_SRGB = np.linalg.inv(_SRGB_TO_CAMERA / _SRGB_TO_CAMERA.sum(axis=1, keepdims=True))
"""Colour correction matrix, white-balanced camera RGB -> linear sRGB, 3x3 float64 with rows summing to 1
(grey stays grey): the inverse of ``XYZ->camera @ sRGB->XYZ (D65)`` with rows normalised to 1, where
XYZ->camera is the mean of the four camera matrices Brooks et al. (CVPR 2019) draw convex combinations of."""


def camera_matrix(ccm: float, wb_red: float, wb_blue: float) -> np.ndarray:
    """Raw camera RGB -> linear sRGB as one 3x3 float64 matrix: white balance (gains ``wb_red``, 1,
    ``wb_blue``), then colour correction ``(1 - ccm) * I + ccm * CAMERA_TO_SRGB`` (``ccm`` in [0,1])."""
    correction = (1.0 - ccm) * np.eye(3) + ccm * CAMERA_TO_SRGB
    return correction @ np.diag([wb_red, 1.0, wb_blue])


def camera_raw(img: Any, raw_to_srgb: np.ndarray) -> Any:
    """Unprocess sRGB values in [0,1] to the raw camera RGB a pipeline with ``raw_to_srgb``
    (:func:`camera_matrix`) renders them from (Brooks et al.): inverse tone curve, inverse gamma, inverse
    colour matrix; clipped to [0,1] (a sensor counts no negative light and saturates). Numpy HxWx3 or
    torch ...x3xHxW."""
    lin = inverse_smoothstep(img) ** CAMERA_GAMMA
    return _xp(img).clip(mix_channels(lin, np.linalg.inv(raw_to_srgb)), 0.0, 1.0)


def camera_render(raw: Any, raw_to_srgb: np.ndarray) -> Any:
    """Render raw camera RGB to sRGB values in [0,1]: the colour matrix ``raw_to_srgb``, clip to [0,1],
    gamma ``1/CAMERA_GAMMA``, :func:`smoothstep` (inverse of :func:`camera_raw` where nothing clips)."""
    lin = _xp(raw).clip(mix_channels(raw, raw_to_srgb), 1e-8, 1.0)
    return smoothstep(lin ** (1.0 / CAMERA_GAMMA))
