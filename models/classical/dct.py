"""Orthonormal 8x8 DCT-II machinery shared by DCT denoising and JPEG deblocking.

* :func:`sliding_shrink`: the transform of *every* (fully overlapping) BxB window of a channel, a shrinkage
  of the coefficients, the inverse transform and the uniform average of the overlapping estimates
  (translation-invariant DCT shrinkage; Yu & Sapiro, IPOL 2011). Computed as 2*B*B separable filterings
  (one per basis function, forward and back) instead of a patch matrix, so memory stays at B*B maps.
  Borders are reflect-101 padded by B-1 pixels, so every pixel is covered by exactly B*B windows.
* :func:`block_dct` / :func:`block_idct`: the transform on the aligned, non-overlapping BxB grid (JPEG's).
Coefficient maps are indexed (u, v) = (vertical, horizontal) frequency.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np


def dct_matrix(b: int = 8) -> np.ndarray:
    """The orthonormal DCT-II matrix A (b x b float32): coefficients = A @ x for a column x."""
    n = np.arange(b)
    a = np.cos(np.pi * (2 * n[None, :] + 1) * n[:, None] / (2 * b)) * np.sqrt(2.0 / b)
    a[0] /= np.sqrt(2.0)
    return a.astype(np.float32)


def sliding_shrink(channel: np.ndarray, shrink: Callable[[np.ndarray], np.ndarray], b: int = 8) -> np.ndarray:
    """Shift-averaged DCT shrinkage of an HxW float32 channel.

    ``shrink`` maps the coefficient maps (b, b, H+b-1, W+b-1) -> same shape (e.g. hard thresholding).
    """
    h, w = channel.shape
    a = dct_matrix(b)
    padded = cv2.copyMakeBorder(channel.astype(np.float32), b - 1, b - 1, b - 1, b - 1, cv2.BORDER_REFLECT_101)
    coef = np.empty((b, b, h + b - 1, w + b - 1), np.float32)
    for u in range(b):
        for v in range(b):
            full = cv2.sepFilter2D(padded, cv2.CV_32F, a[v], a[u], anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
            coef[u, v] = full[:h + b - 1, :w + b - 1]
    coef = shrink(coef)
    out = np.zeros((h + b - 1, w + b - 1), np.float32)
    for u in range(b):
        for v in range(b):
            out += cv2.sepFilter2D(coef[u, v], cv2.CV_32F, a[v][::-1].copy(), a[u][::-1].copy(), anchor=(0, 0),
                                   borderType=cv2.BORDER_CONSTANT)
    return out[:h, :w] / np.float32(b * b)


def block_dct(channel: np.ndarray, b: int = 8) -> np.ndarray:
    """Aligned-block DCT of an HxW channel (H, W multiples of b) -> (H/b, W/b, b, b) coefficients."""
    h, w = channel.shape
    a = dct_matrix(b)
    blocks = channel.reshape(h // b, b, w // b, b).transpose(0, 2, 1, 3)
    return np.einsum("ui,xyij,vj->xyuv", a, blocks, a, optimize=True)


def block_idct(coef: np.ndarray) -> np.ndarray:
    """Inverse of :func:`block_dct`: (H/b, W/b, b, b) -> HxW."""
    nh, nw, b, _ = coef.shape
    a = dct_matrix(b)
    blocks = np.einsum("ui,xyuv,vj->xyij", a, coef, a, optimize=True)
    return blocks.transpose(0, 2, 1, 3).reshape(nh * b, nw * b)
