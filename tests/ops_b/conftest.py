"""Fixtures of the weather-operator tests (haze, rain, snow): small photos and batch helpers."""

from __future__ import annotations

import numpy as np
import pytest
import torch


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """scikit-image's astronaut, downscaled to 160x160, float32 RGB in [0,1]."""
    import cv2
    from skimage import data

    return cv2.resize(data.astronaut(), (160, 160), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def to_batch(img: np.ndarray, n: int = 1) -> torch.Tensor:
    """HxWx3 numpy -> nx3xHxW torch (copies)."""
    return torch.from_numpy(img).permute(2, 0, 1)[None].repeat(n, 1, 1, 1).contiguous()


def from_batch(x: torch.Tensor, i: int = 0) -> np.ndarray:
    """Sample i of an Nx3xHxW tensor -> HxWx3 numpy."""
    return x[i].permute(1, 2, 0).cpu().numpy()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two [0,1] images."""
    return float(10 * np.log10(1.0 / np.mean((a.astype(np.float64) - b) ** 2)))
