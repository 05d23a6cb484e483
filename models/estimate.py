"""Noise-level estimation for blind inputs (methods that need sigma: FFDNet, NLM, BM3D, DCT denoising).

Two estimators of the standard deviation of additive white Gaussian noise, both in 0-255 units (the unit
the denoising literature and ``noise.gaussian`` quote):

* ``"pca"`` (default): Chen, Zhu, Heng, "An Efficient Statistical Method for Image Noise Level Estimation",
  ICCV 2015. Natural-image patches span a low-dimensional subspace, so the smallest eigenvalues of the
  patch covariance are noise only. Sorting the eigenvalues in decreasing order, the largest are dropped one
  by one until the mean of those left is no larger than their median (the noise eigenvalues are
  symmetric about their mean); that mean is sigma^2. Patches: 7x7 per channel, at most 60,000 per channel
  on a regular grid; the channel estimates are averaged.
* ``"immerkaer"``: Immerkaer, "Fast Noise Variance Estimation", CVIU 1996: the mean absolute response of the
  3x3 Laplacian-difference mask [[1,-2,1],[-2,4,-2],[1,-2,1]], times sqrt(pi/2) / 6. One convolution; it
  over-estimates on strongly textured images.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from restorebench.errors import InputError
from restorebench.validate import check_image

METHODS = ("pca", "immerkaer")
PATCH = 7
MAX_PATCHES = 60_000


def _pca_sigma(channel: np.ndarray) -> float:
    """PCA noise std of one HxW float channel (same units as the channel)."""
    h, w = channel.shape
    step = max(1, int(math.sqrt((h - PATCH + 1) * (w - PATCH + 1) / MAX_PATCHES)))
    view = np.lib.stride_tricks.sliding_window_view(channel, (PATCH, PATCH))[::step, ::step]
    patches = view.reshape(-1, PATCH * PATCH).astype(np.float64)
    patches -= patches.mean(axis=0)
    # einsum's own loop, not BLAS: a threaded dgemm this thin stalls for seconds on a busy machine
    cov = np.einsum("ij,ik->jk", patches, patches) / max(1, len(patches) - 1)
    eig = np.sort(np.linalg.eigvalsh(cov))[::-1]
    for i in range(len(eig)):
        tail = eig[i:]
        tau = tail.mean()
        if np.count_nonzero(tail > tau) >= np.count_nonzero(tail < tau):
            return float(math.sqrt(max(tau, 0.0)))
    return float(math.sqrt(max(eig[-1], 0.0)))


def _immerkaer_sigma(channel: np.ndarray) -> float:
    """Immerkaer's noise std of one HxW float channel (same units as the channel)."""
    mask = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    resp = cv2.filter2D(channel.astype(np.float32), -1, mask)[1:-1, 1:-1]
    return float(np.abs(resp, dtype=np.float64).mean() * math.sqrt(math.pi / 2) / 6.0)


def estimate_sigma(img: np.ndarray, method: str = "pca") -> float:
    """Estimated noise std in 0-255 units of an HxWx3 float32 [0,1] image (mean over the channels)."""
    check_image(img, "noise estimation input")
    if method not in METHODS:
        raise InputError(f"noise estimation method {method!r}: expected one of {list(METHODS)}")
    one = _pca_sigma if method == "pca" else _immerkaer_sigma
    return 255.0 * float(np.mean([one(img[:, :, c]) for c in range(img.shape[2])]))


def estimate_sigma_batch(x, method: str = "pca"):
    """Estimated noise std per image of an Nx3xHxW float [0,1] tensor: a float32 tensor (N,) in 0-255 units."""
    import torch

    imgs = x.detach().float().cpu().permute(0, 2, 3, 1).numpy()
    return torch.tensor([estimate_sigma(np.ascontiguousarray(i), method) for i in imgs], dtype=torch.float32)
