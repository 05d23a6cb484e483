"""Rain, torch batch path: Nx3xHxW tensors on any device, one params dict per sample.

Streaks (the form of devices other than the CPU: ``rain.streaks`` runs the numpy path on each sample of a
CPU batch): layer kernels and the veil's depth map are made as on the numpy path, from the same numpy stream
(:func:`degrade.ops.rain.particles.particle_field`), so they are identical; the streak positions come from a
``torch.Generator`` on the device (Bernoulli impulse images convolved by FFT, see
:mod:`degrade.ops.rain.particles`): the two agree in distribution, not pixel by pixel.
Drops: the geometry is drawn in numpy as on the numpy path; the paths agree to float32 rounding.
"""

from __future__ import annotations

import numpy as np
import torch

from degrade.filtering import convolve_batch
from degrade.kernels import gaussian_kernel
from degrade.ops.rain import functional as F
from degrade.ops.rain.particles import per_sample, render_layers_batch, veil_transmission
from restorebench.seeding import field_rng


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


def drops(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Raindrops on the lens per sample (parameters as in ``rain.drops``); drop geometry is drawn in numpy
    exactly as on the numpy path, so both paths agree to float32 rounding."""
    _, _, h, w = x.shape
    alpha, halo, shade, grid = [], [], [], []
    base_y, base_x = np.mgrid[0:h, 0:w].astype(np.float32)
    for p in params:
        f = F.drop_fields(h, w, p["density"], p["radius"], p["zoom"], field_rng(p["seed"]))
        sy, sx, sh = base_y.copy().reshape(-1), base_x.copy().reshape(-1), np.ones(h * w, np.float32)
        sy[f.inside], sx[f.inside], sh[f.inside] = f.src_y, f.src_x, f.shade
        # grid_sample's normalized coordinates with align_corners=True: -1 and 1 are the edge pixel centres
        grid.append(np.stack([sx * (2.0 / max(w - 1, 1)) - 1.0, sy * (2.0 / max(h - 1, 1)) - 1.0], -1).reshape(h, w, 2))
        alpha.append(f.alpha)
        halo.append(f.halo)
        shade.append(sh.reshape(h, w))
    dev = x.device
    alpha_t, halo_t, shade_t = (torch.from_numpy(np.stack(a)[:, None]).to(dev) for a in (alpha, halo, shade))
    xf = x.float()
    blurred = convolve_batch(xf, [gaussian_kernel(p["blur"], p["blur"]) for p in params])
    seen = torch.nn.functional.grid_sample(blurred, torch.from_numpy(np.stack(grid)).to(dev), mode="bilinear",
                                           padding_mode="border", align_corners=True)
    out = xf + halo_t * (blurred - xf)
    return torch.lerp(out, seen * shade_t, alpha_t).to(x.dtype)
