"""Haze, torch batch path: Nx3xHxW tensors on any device, one params dict per sample.

Depth maps (file or synthetic) are made in numpy by :mod:`degrade.ops.haze.functional` from each
sample's params and moved to the device, so the batch path matches the numpy path to float32
rounding (the synthetic field is a few dozen random numbers: drawing it on the host costs nothing).
"""

from __future__ import annotations

import numpy as np
import torch

from degrade.color import linear_to_srgb, srgb_to_linear
from degrade.ops.haze import functional as F
from restorebench.seeding import field_rng


def upsample(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Bilinear resize of an NxCxhxw tensor to HxW, half-pixel centres, clamped borders (as ``cv2.INTER_LINEAR``)."""
    return torch.nn.functional.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)


def depth_batch(params: list[dict], h: int, w: int, device: torch.device) -> torch.Tensor:
    """Per-sample depth maps (params' ``depth`` file or synthetic from ``seed``) -> Nx1xHxW float32 on ``device``.

    Synthetic maps travel as their coarse grids and are resized on the device, bilinearly with
    half-pixel centres like the numpy path's ``cv2.resize``.
    """
    out = torch.empty((len(params), 1, h, w), dtype=torch.float32, device=device)
    synthetic = [i for i, p in enumerate(params) if not p.get("depth")]
    for i, p in enumerate(params):
        if p.get("depth"):
            out[i, 0] = torch.from_numpy(F.load_depth(p["depth"], h, w)).to(device)
    if synthetic:
        coarse = F.coarse_synthetic_depths(np.stack([F.depth_draws(field_rng(params[i]["seed"])) for i in synthetic]), h, w)
        out[synthetic] = upsample(torch.from_numpy(coarse[:, None]).to(device), h, w)
    return out


def scatter(x: torch.Tensor, t: torch.Tensor, airlight: torch.Tensor) -> torch.Tensor:
    """``x * t + A * (1 - t)``: x Nx3xHxW, t Nx1xHxW, airlight Nx3x1x1."""
    return torch.addcmul(airlight * (1.0 - t), x, t)


def atmospheric(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Haze each sample with its beta, airlight, tint, space, depth and seed (see functional.atmospheric)."""
    _, _, h, w = x.shape
    out = x.clone()
    idx = [i for i, p in enumerate(params) if p["beta"] > 0.0]
    if not idx:
        return out
    sub = [params[i] for i in idx]
    depth = depth_batch(sub, h, w, x.device)
    beta = torch.tensor([p["beta"] for p in sub], dtype=torch.float32, device=x.device).view(-1, 1, 1, 1)
    t = torch.exp(-beta * depth)
    a = torch.from_numpy(np.stack([F.airlight_rgb(p["airlight"], p["tint"]) for p in sub])).to(x.device)
    a = a.view(-1, 3, 1, 1)
    linear = torch.tensor([p["space"] == "linear" for p in sub], device=x.device).view(-1, 1, 1, 1)
    xs = x[idx].float()
    hazed_srgb = scatter(xs, t, a)
    if bool(linear.any()):
        hazed_lin = linear_to_srgb(scatter(srgb_to_linear(xs), t, srgb_to_linear(a)))
        hazed_srgb = torch.where(linear, hazed_lin, hazed_srgb)
    out[idx] = hazed_srgb.to(x.dtype)
    return out
