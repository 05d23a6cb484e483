"""Fixtures of the operator tests; the contract tests run over every registered operator."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import degrade

OPERATORS = degrade.list_ops()
"""Every registered operator: registering one adds it to the contract tests."""
SEEDED = {n for n in OPERATORS if degrade.get(n).stochastic}
"""Operators whose random field comes from the ``seed`` parameter."""
SAME_FIELD_ON_BOTH_PATHS = {"blur.motion"}
"""Seeded operators whose batch path draws exactly the CPU path's field (the others use torch generators)."""
STOCHASTIC = SEEDED - SAME_FIELD_ON_BOTH_PATHS
USER_KERNEL = {"kernel": [[0.0, 0.1, 0.0], [0.1, 0.5, 0.1], [0.0, 0.1, 0.1]]}
FIXED_PARAMS = {"blur.kernel": USER_KERNEL}
"""Params of the operators without a severity table."""


def params_for(name: str, rng: np.random.Generator, severity: int = 3) -> dict:
    """Params of ``name`` at ``severity`` (operators without a severity table get FIXED_PARAMS)."""
    if not degrade.get(name).severities:
        return dict(FIXED_PARAMS[name])
    return degrade.get(name).sample(rng, severity)


REALIZATIONS = 16
"""Seeds pooled when a batch path draws another random field than the numpy path: on the test crop one
realization's residual std varies by about 7% from seed to seed (rain streaks), 16 pooled by under 2%."""


def device_form(op: degrade.Operator, x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """The batch form of devices other than the CPU (``_apply_batch``, which a CPU batch of a ``numpy_on_cpu``
    operator skips), run on x's device and clamped as ``apply_batch`` does."""
    return op._apply_batch(x, [op.check(p) for p in params]).clamp_(0.0, 1.0)


def assert_same_statistics(name: str, img: np.ndarray, params: dict, device: str = "cpu") -> None:
    """The residual (output - ``img``) of operator ``name``'s numpy path and of its device batch form on
    ``device``, pooled over REALIZATIONS seeds of ``params``: means within 0.01, mean per-image std within 10%."""
    op = degrade.get(name)
    seeded = [{**params, "seed": (params["seed"] + k) % 2**32} for k in range(REALIZATIONS)]
    y = device_form(op, to_batch(*[img] * REALIZATIONS).to(device), seeded)
    assert y.device.type == torch.device(device).type
    cpu = np.stack([op.apply(img, p) for p in seeded]) - img
    bat = np.stack([from_batch(y, k) for k in range(REALIZATIONS)]) - img
    assert abs(cpu.mean() - bat.mean()) < 0.01
    assert bat.std(axis=(1, 2, 3)).mean() == pytest.approx(cpu.std(axis=(1, 2, 3)).mean(), rel=0.1, abs=2e-3)


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
