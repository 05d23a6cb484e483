"""Guided filter (He, Sun, Tang, "Guided Image Filtering", ECCV 2010 / TPAMI 2013), gray guide.

``q = mean(a) * I + mean(b)`` with ``a = cov(I, p) / (var(I) + eps)`` and ``b = mean(p) - a * mean(I)`` over
square windows of side ``2 * radius + 1`` (box means via cv2.boxFilter, reflect-101 borders). Edge-preserving
smoothing of ``p`` that follows the edges of ``I``; ``eps`` is in squared intensity units of [0,1] images.
"""

from __future__ import annotations

import cv2
import numpy as np


def box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over (2r+1)x(2r+1) windows of an HxW or HxWxC float32 array (reflect-101 borders)."""
    k = 2 * radius + 1
    return cv2.boxFilter(x, -1, (k, k), normalize=True, borderType=cv2.BORDER_REFLECT_101).reshape(x.shape)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Filter ``src`` (HxW or HxWxC float32) guided by ``guide`` (HxW float32); same shape as ``src``."""
    guide = guide.astype(np.float32, copy=False)
    src = src.astype(np.float32, copy=False)
    g = guide if src.ndim == 2 else guide[:, :, None]
    mean_i = box_mean(guide, radius)
    var_i = box_mean(guide * guide, radius) - mean_i * mean_i
    mi = mean_i if src.ndim == 2 else mean_i[:, :, None]
    vi = var_i if src.ndim == 2 else var_i[:, :, None]
    mean_p = box_mean(src, radius)
    cov_ip = box_mean(g * src, radius) - mi * mean_p
    a = cov_ip / (vi + np.float32(eps))
    b = mean_p - a * mi
    return box_mean(a, radius) * g + box_mean(b, radius)
