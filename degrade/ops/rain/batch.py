"""Rain, torch batch path: Nx3xHxW tensors on any device, one params dict per sample.

Streaks: layer kernels and the veil's depth map are made as on the numpy path, from the same numpy stream
(:func:`degrade.ops.rain.particles.particle_streams`), so they are identical; the streak positions come
from a ``torch.Generator`` on the device (Bernoulli impulse images convolved by FFT, see
:mod:`degrade.ops.rain.particles`): the two paths agree in distribution, not pixel by pixel.
"""

from __future__ import annotations

import torch

from degrade.ops.rain import functional as F
from degrade.ops.rain.particles import per_sample, render_layers_batch, veil_transmission


def streaks(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Rain streaks plus accumulation veil per sample (parameters as in ``rain.streaks``)."""
    _, _, h, w = x.shape
    layers = [F.streak_layers(p["density"], p["length"], p["angle_deg"], p["width"], p["brightness"], p["layers"])
              for p in params]
    s = render_layers_batch(layers, [p["seed"] for p in params], h, w, x.device).clamp_(max=1.0)
    t = veil_transmission(params, "accumulation", h, w, x.device)
    gain = t * (1.0 - s)
    offset = t * s + (1.0 - t) * per_sample(params, "airlight", x.device)
    return torch.addcmul(offset, x.float(), gain).to(x.dtype)
