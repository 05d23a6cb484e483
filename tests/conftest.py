"""Shared fixtures. ../shared (real data and weights) is optional: tests that need it skip with a reason."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ["RESTOREBENCH_OFFLINE"] = "1"

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RESTOREBENCH_SHARED", REPO.parent / "shared"))
SHARED_REASON = f"needs ../shared (real test data and weights) at {SHARED}; absent in a user's clone"

if SHARED.is_dir():
    os.environ["RESTOREBENCH_WEIGHTS"] = os.pathsep.join(
        [str(SHARED / "weights" / "torch"), str(SHARED / "weights" / "restoration")]
    )


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared folder; skips the test when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(SHARED_REASON)
    return SHARED


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """scikit-image's astronaut photo, 512x512x3 float32 in [0,1]."""
    from skimage import data

    return data.astronaut().astype(np.float32) / 255.0


@pytest.fixture(scope="session")
def photo_crops() -> list[np.ndarray]:
    """Three 128x128 float32 RGB crops of bundled scikit-image photos (astronaut, coffee, chelsea)."""
    from skimage import data

    crops = []
    for img in (data.astronaut(), data.coffee(), data.chelsea()):
        h, w = img.shape[:2]
        crops.append(img[h // 2 - 64:h // 2 + 64, w // 2 - 64:w // 2 + 64].astype(np.float32) / 255.0)
    return crops


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator for a test."""
    return np.random.default_rng(1234)
