"""Convolution shared by blur, rain, snow and haze: one numpy path and one batched torch path.

Both convolve (kernel flipped, true convolution) with reflect-101 borders (``cv2.BORDER_REFLECT_101``
== torch ``reflect``), so the CPU and batch paths agree to float32 rounding (~1e-6).
Kernels are 2-D float arrays with odd sides; images HxWxC (numpy) or NxCxHxW (torch).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np


def convolve(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve every channel of an HxWxC float32 image with a 2-D kernel (odd sides), reflect-101 borders."""
    k = np.ascontiguousarray(kernel[::-1, ::-1], dtype=np.float32)
    out = cv2.filter2D(img, -1, k, borderType=cv2.BORDER_REFLECT_101)
    return out.reshape(img.shape)


def pad_kernels(kernels: list[np.ndarray]) -> np.ndarray:
    """Zero-pad centred odd-sided kernels to a common odd size: list of kh x kw -> N x K x K float32."""
    size = max(max(k.shape) for k in kernels)
    size += 1 - size % 2
    out = np.zeros((len(kernels), size, size), np.float32)
    for i, k in enumerate(kernels):
        if k.shape[0] % 2 == 0 or k.shape[1] % 2 == 0:
            raise ValueError(f"kernel of shape {k.shape}: sides must be odd")
        top, left = (size - k.shape[0]) // 2, (size - k.shape[1]) // 2
        out[i, top:top + k.shape[0], left:left + k.shape[1]] = k
    return out


def convolve_batch(x: Any, kernels: Any) -> Any:
    """Per-sample convolution: x (N,C,H,W), kernels (N,K,K) or (N,C,K,K) torch -> (N,C,H,W).

    FFT convolution (rfft2, multiply, irfft2) on a reflect-padded copy; the cost does not grow
    with the kernel size, which makes long motion and streak kernels cheap on the GPU.
    """
    import torch
    import torch.nn.functional as F

    n, c, h, w = x.shape
    k = torch.as_tensor(kernels, dtype=torch.float32, device=x.device)
    if k.ndim == 3:
        k = k[:, None]
    ks = k.shape[-1]
    r = ks // 2
    if r >= h or r >= w:
        # kernels wider than the image: torch cannot reflect that far, so borders replicate here
        xp = F.pad(x.float(), (r, r, r, r), mode="replicate")
    else:
        xp = F.pad(x.float(), (r, r, r, r), mode="reflect")
    hp, wp = xp.shape[-2:]
    fx = torch.fft.rfft2(xp, s=(hp, wp))
    fk = torch.fft.rfft2(k, s=(hp, wp))
    y = torch.fft.irfft2(fx * fk, s=(hp, wp))
    return y[..., 2 * r:2 * r + h, 2 * r:2 * r + w].to(x.dtype)


def splat(shape: tuple[int, int], rows: np.ndarray, cols: np.ndarray, amps: np.ndarray, kernel: np.ndarray,
          floor: float = 1e-3) -> np.ndarray:
    """Convolve an image of sparse impulses with ``kernel``: the HxW float32 sum of ``amps[i] * kernel`` at (rows[i], cols[i]).

    Equal to placing the impulses in a zero image and calling :func:`convolve` (true convolution), but
    the cost grows with impulses x kernel taps instead of the image area, and impulses may lie up to
    the kernel radius outside the image (shapes then enter from the borders; no reflection). Taps
    below ``floor`` times the kernel's peak are skipped. Integer pixel positions; kernel sides odd.
    """
    h, w = shape
    kh, kw = kernel.shape
    ry, rx = kh // 2, kw // 2
    rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    if rows.size and (rows.min() < -ry or rows.max() >= h + ry or cols.min() < -rx or cols.max() >= w + rx):
        raise ValueError(f"splat: impulse positions must lie within the kernel radius ({ry}, {rx}) of the image")
    # canvas padded by twice the radius: every tap of every allowed impulse lands inside it
    wp = w + 4 * rx
    ty, tx = np.nonzero(kernel >= floor * kernel.max())
    taps = np.asarray(kernel, np.float32)[ty, tx]
    offsets = ty * wp + tx
    flat = ((rows + ry) * wp + (cols + rx))[:, None] + offsets
    weights = np.asarray(amps, np.float32)[:, None] * taps
    canvas = np.bincount(flat.ravel(), weights.ravel(), minlength=(h + 4 * ry) * wp)
    return canvas.reshape(h + 4 * ry, wp)[2 * ry:2 * ry + h, 2 * rx:2 * rx + w].astype(np.float32)
