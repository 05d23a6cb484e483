"""Rain, torch batch path: Nx3xHxW tensors on any device, one params dict per sample.

Streaks: layer kernels and the veil's depth map are made as on the numpy path, from the same numpy stream
(:func:`degrade.ops.rain.functional.rain_streams`), so they are identical; the streak positions come
from a ``torch.Generator`` on the device (Bernoulli impulse images convolved by FFT, see
:mod:`degrade.ops.rain.particles`): the two paths agree in distribution, not pixel by pixel.
"""

from __future__ import annotations

import numpy as np
import torch

from degrade.ops.haze.functional import synthetic_depth
from degrade.ops.rain import functional as F
from degrade.ops.rain.particles import render_layers_batch


def streaks(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Rain streaks plus accumulation veil per sample (parameters as in ``rain.streaks``)."""
    n, _, h, w = x.shape
    layers, depths = [], []
    for p in params:
        depth_rng, _ = F.rain_streams(p["seed"])
        layers.append(F.streak_layers(p["density"], p["length"], p["angle_deg"], p["width"], p["brightness"],
                                      p["layers"]))
        depths.append(synthetic_depth(depth_rng, h, w) if p["accumulation"] > 0 else np.zeros((h, w), np.float32))
    s = render_layers_batch(layers, [p["seed"] for p in params], h, w, x.device).clamp_(max=1.0)
    acc = torch.tensor([p["accumulation"] for p in params], dtype=torch.float32, device=x.device).view(-1, 1, 1, 1)
    depth = torch.from_numpy(np.stack(depths)[:, None]).to(x.device)
    t = torch.exp(-acc * depth)
    airlight = torch.tensor([p["airlight"] for p in params], dtype=torch.float32, device=x.device).view(-1, 1, 1, 1)
    gain = t * (1.0 - s)
    offset = t * s + (1.0 - t) * airlight
    return torch.addcmul(offset, x.float(), gain).to(x.dtype)
