"""Low light, torch batch path (same model as ``functional``; noise from a per-sample torch generator)."""

from __future__ import annotations

import torch

from degrade.color import linear_to_srgb, srgb_to_linear
from degrade.ops.noise.batch import sensor_noise


def darken(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Per-sample low-light synthesis of an Nx3xHxW float tensor in [0,1]."""

    def column(key: str) -> torch.Tensor:
        return torch.tensor([p[key] for p in params], dtype=x.dtype, device=x.device).view(-1, 1, 1, 1)

    lin = srgb_to_linear(x) ** column("gamma") * column("factor")
    noisy = [i for i, p in enumerate(params) if p.get("photons") is not None]
    if noisy:
        lin[noisy] = sensor_noise(lin[noisy], [params[i] for i in noisy])
    return linear_to_srgb(lin)
