"""JPEG, torch batch path.

* CUDA tensors, subsampling "444": torchvision's nvJPEG encoder on the GPU (one call per distinct
  quality; torchvision's GPU encoder always writes 4:4:4), decoded by nvJPEG on the GPU.
* Everything else (CPU tensors, or 4:2:2 / 4:2:0 on CUDA, which torchvision's GPU encoder cannot
  write): each sample goes through the numpy libjpeg route (samples spread over
  ``torch.get_num_threads()`` threads), so CPU batches equal ``apply`` exactly.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from degrade.ops.jpeg import functional


def _libjpeg(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """libjpeg round trip of each sample of ``x``, results on ``x``'s device.

    Samples run on ``torch.get_num_threads()`` threads: OpenCV releases the GIL while coding.
    """
    imgs = x.detach().float().permute(0, 2, 3, 1).contiguous().cpu().numpy()  # layout change on x's device

    def one(i: int) -> np.ndarray:
        return functional.jpeg_compress(imgs[i], params[i]["quality"], params[i]["subsampling"])

    workers = min(len(params), torch.get_num_threads())
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outs = list(pool.map(one, range(len(params))))
    else:
        outs = [one(i) for i in range(len(params))]
    return torch.from_numpy(np.stack(outs)).to(x.device).permute(0, 3, 1, 2).to(x.dtype)


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
    cpu_idx = []
    for i, p in enumerate(params):
        if x.is_cuda and p["subsampling"] == "444":
            gpu_groups.setdefault(p["quality"], []).append(i)
        else:
            cpu_idx.append(i)
    if cpu_idx:
        out[cpu_idx] = _libjpeg(x[cpu_idx], [params[i] for i in cpu_idx])
    for quality, idx in gpu_groups.items():
        out[idx] = _nvjpeg(x[idx], quality)
    return out
