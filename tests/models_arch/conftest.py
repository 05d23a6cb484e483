"""Fixtures of the architecture tests: Kodak crops and their degradations by the project's operators."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from arch_helpers import to_batch

import degrade
from restorebench.imageio import read_image
from restorebench.seeding import sample_rng

KODAK = ("kodim03", "kodim08", "kodim15", "kodim23")
CROP = 64
"""Four centre crops of 64x64 pixels: small enough for a 2-core CI, four different scenes."""


@pytest.fixture(scope="session")
def kodak(shared: Path) -> list[np.ndarray]:
    """Four 64x64 HxWx3 float32 centre crops of Kodak images."""
    crops = []
    for name in KODAK:
        img = read_image(shared / "data" / "clean" / "Kodak24" / f"{name}.png")
        h, w = img.shape[:2]
        crops.append(np.ascontiguousarray(img[(h - CROP) // 2:(h + CROP) // 2, (w - CROP) // 2:(w + CROP) // 2]))
    return crops


@pytest.fixture(scope="session")
def clean(kodak: list[np.ndarray]) -> torch.Tensor:
    """The Kodak crops as a 4x3x64x64 batch."""
    return to_batch(kodak)


@pytest.fixture(scope="session")
def degraded(kodak: list[np.ndarray]) -> Callable[..., torch.Tensor]:
    """``degraded(op, severity=None, **ranges)``: the crops degraded by a registered operator (seed 7, sample i)."""

    def run(op: str, severity: int | None = None, **ranges) -> torch.Tensor:
        operator = degrade.get(op)
        outs = [operator(img, sample_rng(7, i), severity=severity, **ranges)[0] for i, img in enumerate(kodak)]
        return to_batch(outs)

    return run
