"""Low light, torch batch path (same model as ``functional``; noise from a per-sample torch generator)."""

from __future__ import annotations

import torch

from degrade.color import linear_to_srgb, srgb_to_linear
from degrade.ops.noise.batch import per_sample, sensor_noise


def _darken_one(s: torch.Tensor, p: dict, gen: torch.Generator) -> torch.Tensor:
    lin = srgb_to_linear(s) ** p["gamma"] * p["factor"]
    if p.get("photons") is not None:
        lin = sensor_noise(lin, p["photons"], p["read_noise"], p["bayer"], gen)
    return linear_to_srgb(lin)


def darken(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Per-sample low-light synthesis of an Nx3xHxW float tensor in [0,1]."""
    return per_sample(x, params, _darken_one)
