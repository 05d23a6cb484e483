"""JPEG, torch batch path; both routes equal ``apply`` (libjpeg through OpenCV) bit for bit.

* CUDA (any accelerator) tensors: :mod:`degrade.ops.jpeg.tensor_codec`, libjpeg's integer pipeline as
  batched tensor ops on the device, one call per subsampling with per-sample qualities.
* CPU tensors: each sample goes through the numpy libjpeg route (samples spread over
  ``torch.get_num_threads()`` threads), faster there than the tensor codec.
"""

from __future__ import annotations

import numpy as np
import torch

from degrade.ops.jpeg import functional, tensor_codec
from restorebench.engine import map_threads


def _libjpeg(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """libjpeg round trip of each sample of ``x``, results on ``x``'s device.

    Samples run on ``torch.get_num_threads()`` threads: OpenCV releases the GIL while coding.
    """
    imgs = x.detach().float().permute(0, 2, 3, 1).contiguous().cpu().numpy()  # layout change on x's device

    def one(i: int) -> np.ndarray:
        return functional.jpeg_compress(imgs[i], params[i]["quality"], params[i]["subsampling"])

    outs = map_threads(one, list(range(len(params))), torch.get_num_threads())
    return torch.from_numpy(np.stack(outs)).to(x.device).permute(0, 3, 1, 2).to(x.dtype)


def jpeg_compress(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Per-sample JPEG round trip of an Nx3xHxW float tensor in [0,1] (see module docstring for the route)."""
    if x.device.type == "cpu":
        return _libjpeg(x, params)
    out = torch.empty_like(x)
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(params):
        groups.setdefault(p["subsampling"], []).append(i)
    for subsampling, idx in groups.items():
        out[idx] = tensor_codec.jpeg_roundtrip(x[idx], [params[i]["quality"] for i in idx], subsampling)
    return out
