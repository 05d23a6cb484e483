"""JPEG, torch batch path.

* CUDA tensors, subsampling "444": torchvision's nvJPEG encoder on the GPU (one call per distinct
  quality; torchvision's GPU encoder always writes 4:4:4), decoded by nvJPEG on the GPU.
* Everything else (CPU tensors, or 4:2:2 / 4:2:0 on CUDA, which torchvision's GPU encoder cannot
  write): each sample goes through the numpy libjpeg route, so CPU batches equal ``apply`` exactly.
"""

from __future__ import annotations

import numpy as np
import torch

from degrade.ops.jpeg import functional


def _libjpeg(sample: torch.Tensor, p: dict) -> torch.Tensor:
    img = np.ascontiguousarray(sample.detach().float().permute(1, 2, 0).cpu().numpy())
    out = functional.jpeg_compress(img, p["quality"], p["subsampling"])
    return torch.from_numpy(out).permute(2, 0, 1).to(sample.device, sample.dtype)


def _nvjpeg(x: torch.Tensor, quality: int) -> torch.Tensor:
    from torchvision.io import decode_jpeg, encode_jpeg

    u8 = (x.float() * 255.0).round_().clamp_(0, 255).to(torch.uint8)
    encoded = encode_jpeg(list(u8), quality=quality)
    decoded = decode_jpeg([e.cpu() for e in encoded], device=x.device)
    return torch.stack(decoded).to(x.dtype) / 255.0


def jpeg_compress(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Per-sample JPEG round trip of an Nx3xHxW float tensor in [0,1] (see module docstring for the route)."""
    out = torch.empty_like(x)
    gpu_groups: dict[int, list[int]] = {}
    for i, p in enumerate(params):
        if x.is_cuda and p["subsampling"] == "444":
            gpu_groups.setdefault(p["quality"], []).append(i)
        else:
            out[i] = _libjpeg(x[i], p)
    for quality, idx in gpu_groups.items():
        out[idx] = _nvjpeg(x[idx], quality)
    return out
