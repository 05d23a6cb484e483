"""Blur, torch batch path: one FFT convolution for the whole batch with per-sample kernels."""

from __future__ import annotations

import numpy as np
import torch

from degrade.filtering import convolve_batch, pad_kernels


def blur(x: torch.Tensor, psfs: list[np.ndarray]) -> torch.Tensor:
    """Convolve sample i of the Nx3xHxW ``x`` with ``psfs[i]`` (odd-sided numpy kernels of any sizes)."""
    return convolve_batch(x, torch.from_numpy(pad_kernels(psfs)).to(x.device))
