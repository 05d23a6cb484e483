"""LIME low-light enhancement (Guo, Li, Ling, "LIME: Low-Light Image Enhancement via Illumination Map
Estimation", IEEE TIP 2017).

1. Initial illumination ``T^(x) = max_c L_c(x)``.
2. Refinement by the paper's sped-up solver: minimise ``||T - T^||^2 + alpha * sum_d ||sqrt(A_d) * D_d T||^2``
   over forward differences ``D_d`` (d = horizontal, vertical) with ``A_d = W_d / (|D_d T^| + eps)`` and the
   weights of the paper's strategy III, ``W_d = (G_sigma * 1) / (|G_sigma * D_d T^| + eps)`` (Gaussian of std
   ``sigma`` pixels). The normal equations ``(I + alpha * sum_d D_d^T A_d D_d) t = t^`` are a sparse
   five-point system, solved directly (SuperLU). The solve runs with the long side reduced to ``max_side``
   pixels (the illumination map is smooth) and the result is resized back bilinearly.
3. Gamma on the illumination, ``T <- T^gamma`` (0.8), and ``R = L / max(T, 1e-3)`` per channel.
The paper's optional BM3D post-denoising is left to a separate denoiser (chain a denoise method after).
Untiled, the illumination is estimated once on the whole image; with tiling, per tile.
"""

from __future__ import annotations

from typing import Any, ClassVar

import cv2
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from models.restorer import ImageRestorer

EPS = 1e-3


def _forward_diff(n_rows: int, n_cols: int, axis: int) -> sp.csr_matrix:
    """Sparse forward-difference operator on a row-major HxW grid (zero at the far border)."""
    size = n_rows * n_cols
    idx = np.arange(size).reshape(n_rows, n_cols)
    src = idx[:, :-1] if axis == 1 else idx[:-1, :]
    dst = idx[:, 1:] if axis == 1 else idx[1:, :]
    rows = np.concatenate([src.ravel(), src.ravel()])
    cols = np.concatenate([dst.ravel(), src.ravel()])
    vals = np.concatenate([np.ones(src.size), -np.ones(src.size)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(size, size))


def _grad(t: np.ndarray, axis: int) -> np.ndarray:
    g = np.zeros_like(t)
    if axis == 1:
        g[:, :-1] = t[:, 1:] - t[:, :-1]
    else:
        g[:-1, :] = t[1:, :] - t[:-1, :]
    return g


def refine_illumination(t_hat: np.ndarray, alpha: float, sigma: float) -> np.ndarray:
    """Structure-aware refinement of an HxW illumination map (sped-up LIME solver, strategy III weights)."""
    h, w = t_hat.shape
    lhs = sp.identity(h * w, format="csr")
    for axis in (0, 1):
        g = _grad(t_hat, axis)
        smoothed = np.abs(cv2.GaussianBlur(g, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101))
        weight = 1.0 / (smoothed + EPS)
        a = (weight / (np.abs(g) + EPS)).ravel()
        d = _forward_diff(h, w, axis)
        lhs = lhs + alpha * (d.T @ sp.diags(a) @ d)
    return spla.spsolve(lhs.tocsc(), t_hat.ravel().astype(np.float64)).reshape(h, w).astype(np.float32)


class LIME(ImageRestorer):
    """LIME enhancement; ``alpha`` smoothness, ``gamma`` illumination gamma, ``sigma`` weight-window std
    (pixels), ``max_side`` long side (pixels) of the illumination solve."""

    defaults: ClassVar[dict[str, Any]] = {"alpha": 0.15, "gamma": 0.8, "sigma": 2.0, "max_side": 384}

    def illumination(self, img: np.ndarray) -> np.ndarray:
        """The refined illumination map, HxW float32 in (0, 1]."""
        p = self.params
        t_hat = img.max(axis=2)
        h, w = t_hat.shape
        scale = min(1.0, p["max_side"] / max(h, w))
        small = t_hat if scale == 1.0 else cv2.resize(t_hat, (max(1, round(w * scale)), max(1, round(h * scale))),
                                                       interpolation=cv2.INTER_AREA)
        t = refine_illumination(small, p["alpha"], p["sigma"])
        if scale != 1.0:
            t = cv2.resize(t, (w, h), interpolation=cv2.INTER_LINEAR)
        return np.clip(t, EPS, 1.0)

    def analyze(self, img: np.ndarray) -> dict:
        return {"illumination": self.illumination(img)}

    def restore(self, img: np.ndarray, illumination: np.ndarray | None = None, **found: Any) -> np.ndarray:
        t = illumination if illumination is not None and illumination.shape == img.shape[:2] else self.illumination(img)
        return img / np.maximum(t ** self.params["gamma"], EPS)[:, :, None]
