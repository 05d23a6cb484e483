"""Fixtures of the metrics tests: pairs of bundled photo crops and noisy/blurred versions of them."""

from __future__ import annotations

import numpy as np
import pytest
import torch


@pytest.fixture(scope="module")
def pairs(photo_crops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(pred, gt) as Nx128x128x3 float32 in [0,1]: gt = three photo crops, pred = noisy, clipped copies
    (one of them also shifted in brightness so that SSIM's luminance term matters)."""
    rng = np.random.default_rng(7)
    gt = np.stack(photo_crops)
    pred = gt + rng.normal(0, 0.06, gt.shape).astype(np.float32)
    pred[1] += 0.05
    return np.clip(pred, 0, 1).astype(np.float32), gt


def to_batch(x: np.ndarray) -> torch.Tensor:
    """NxHxWx3 numpy -> Nx3xHxW torch."""
    return torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2)
