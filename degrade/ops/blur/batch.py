"""Blur, torch batch path: per-sample kernels; each CPU plane as on the numpy path, other devices one FFT convolution."""

from __future__ import annotations

import numpy as np
import torch

from degrade.filtering import convolve_batch


def blur(x: torch.Tensor, psfs: list[np.ndarray]) -> torch.Tensor:
    """Convolve sample i of the Nx3xHxW ``x`` with ``psfs[i]`` (odd-sided numpy kernels of any sizes)."""
    return convolve_batch(x, psfs)
