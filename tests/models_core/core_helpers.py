"""Helpers of the models-core tests: PSNR and seeded degradations through the degrade operators."""

from __future__ import annotations

import numpy as np

import degrade
from restorebench.seeding import sample_rng


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two float [0,1] images (peak 1)."""
    return float(10 * np.log10(1.0 / np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)))


def degraded(img: np.ndarray, op: str, index: int, **params) -> np.ndarray:
    """``img`` degraded by operator ``op``; ``params`` are sampling specs (fixed values), seed from ``index``."""
    out, _ = degrade.get(op)(img, sample_rng(6, index), **params)
    return out


def mean_gain(restore, crops: list[np.ndarray], op: str, **params) -> tuple[float, float]:
    """(mean input PSNR, mean output PSNR) of ``restore`` (HxWx3 -> HxWx3) over ``crops`` degraded by ``op``."""
    before, after = [], []
    for i, clean in enumerate(crops):
        bad = degraded(clean, op, i, **params)
        before.append(psnr(bad, clean))
        after.append(psnr(restore(bad), clean))
    return float(np.mean(before)), float(np.mean(after))
