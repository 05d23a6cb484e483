"""Noise, torch batch path: Nx3xHxW float tensors on any device, one params dict per sample.

Random fields come from a ``torch.Generator`` on the tensor's device seeded with the params'
``seed``: statistics match the numpy path, bytes do not (numpy's PCG64 and torch's Philox differ).
"""

from __future__ import annotations

import torch


def device_generator(seed: int, device: torch.device) -> torch.Generator:
    """A torch generator on ``device`` seeded with ``seed`` (one per sample)."""
    return torch.Generator(device=device).manual_seed(int(seed))


def gaussian_noise(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Add per-sample Gaussian noise: sigma (0-255 units), gray, seed per params dict."""
    n, _, h, w = x.shape
    out = torch.empty_like(x)
    for i, p in enumerate(params):
        c = 1 if p["gray"] else 3
        field = torch.randn((c, h, w), generator=device_generator(p["seed"], x.device), device=x.device, dtype=x.dtype)
        out[i] = x[i] + field * (p["sigma"] / 255.0)
    return out
