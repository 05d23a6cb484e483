"""Fixtures of the operator tests (families noise, blur, jpeg, lowlight, resize)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

OPS_A = [
    "noise.gaussian", "noise.poisson", "noise.speckle", "noise.salt_pepper", "noise.camera",
    "blur.gaussian", "blur.motion", "blur.defocus", "blur.kernel",
    "jpeg.compress", "lowlight.darken", "resize.down",
]
STOCHASTIC = {"noise.gaussian", "noise.poisson", "noise.speckle", "noise.salt_pepper", "noise.camera",
              "lowlight.darken"}
USER_KERNEL = {"kernel": [[0.0, 0.1, 0.0], [0.1, 0.5, 0.1], [0.0, 0.1, 0.1]]}


def params_for(name: str, rng: np.random.Generator, severity: int = 3) -> dict:
    """Params of ``name`` at ``severity`` (blur.kernel, which has no severity table, gets a fixed kernel)."""
    import degrade

    if name == "blur.kernel":
        return dict(USER_KERNEL)
    return degrade.get(name).sample(rng, severity)


def to_batch(*imgs: np.ndarray) -> torch.Tensor:
    """HxWx3 numpy images -> Nx3xHxW torch batch."""
    return torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).contiguous()


def from_batch(x: torch.Tensor, i: int = 0) -> np.ndarray:
    """Sample ``i`` of an Nx3xHxW batch -> HxWx3 numpy."""
    return x[i].permute(1, 2, 0).cpu().numpy()


@pytest.fixture(scope="session")
def crop() -> np.ndarray:
    """A 96x128 float32 crop of scikit-image's astronaut (textured, with flat sky-like regions)."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[100:196, 150:278].astype(np.float32) / 255.0)
