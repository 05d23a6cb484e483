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
