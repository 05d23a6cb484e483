"""Helpers of the diffusion-architecture tests (a uniquely named module: test folders share one import path)."""

from __future__ import annotations

import pytest
import torch

from models.arch.sd.deps import INSTALL, missing

needs_diffusion = pytest.mark.skipif(bool(missing()), reason=f"needs {', '.join(missing())}: {INSTALL}")
"""Marks tests that need diffusers and open_clip_torch (the optional extra ``diffusion``)."""


def fixed_batch(n: int = 2, side: int = 32, seed: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """(degraded, clean) Nx3xside x side batches in [0,1]: a smooth clean image and a noisy copy."""
    g = torch.Generator().manual_seed(seed)
    ramp = torch.linspace(0, 1, side)
    clean = (0.2 + 0.6 * torch.rand(n, 3, 1, 1, generator=g) * ramp.view(1, 1, 1, -1) * ramp.view(1, 1, -1, 1))
    degraded = (clean + 0.1 * torch.randn(clean.shape, generator=g)).clamp(0, 1)
    return degraded, clean


def one_step_lowers(loss_fn, params: list, lr: float = 1e-4) -> tuple[float, float]:
    """(loss before, loss after) one Adam step on ``params``; ``loss_fn()`` must be deterministic."""
    opt = torch.optim.Adam(params, lr=lr)
    before = loss_fn()
    opt.zero_grad()
    before.backward()
    opt.step()
    with torch.no_grad():
        after = loss_fn()
    return float(before.detach()), float(after)
