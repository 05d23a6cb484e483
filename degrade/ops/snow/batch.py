"""Snow, torch batch path: Nx3xHxW tensors on any device, one params dict per sample.

The form of devices other than the CPU (``snow.layers`` runs the numpy path on each sample of a CPU batch):
flake kernels and the veil's depth map are made as on the numpy path (identical); flake positions come
from a ``torch.Generator`` on the device (see :mod:`degrade.ops.rain.particles`), so the two agree in
distribution (coverage, mean opacity), not pixel by pixel.
"""

from __future__ import annotations

import torch

from degrade.ops.rain.particles import per_sample, render_layers_batch, veil_transmission
from degrade.ops.snow import functional as F


def snow(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Falling snow over a veil per sample (parameters as in ``snow.layers``)."""
    _, _, h, w = x.shape
    layers = [F.flake_layers(p["density"], p["size"], p["motion"], p["angle_deg"], p["opacity"], p["layers"])
              for p in params]
    a = render_layers_batch(layers, [p["seed"] for p in params], h, w, x.device).clamp_(max=1.0)
    gain = veil_transmission(params, "veil", h, w, x.device) * (1.0 - a)
    offset = per_sample(params, "airlight", x.device) * (1.0 - gain)
    return torch.addcmul(offset, x.float(), gain).to(x.dtype)
