"""Resize, torch batch path: the same MATLAB contributions as dense matrices, applied by matmul.

Samples with identical params run together; all samples of a batch must end at the same size
(the same factor, or ``upsample_back``), since a batch is one tensor.
"""

from __future__ import annotations

import torch

from degrade.ops.resize.functional import output_length, resize_matrix
from restorebench.errors import InputError


def resize(x: torch.Tensor, out_h: int, out_w: int, kernel: str, antialias: bool,
           scale: float | None = None) -> torch.Tensor:
    """Resize an NxCxHxW tensor to ``out_h`` x ``out_w`` (see ``functional.resize``)."""
    h, w = x.shape[-2:]
    y = x.float()
    if out_h != h:
        y = torch.matmul(torch.from_numpy(resize_matrix(h, out_h, scale or out_h / h, kernel, antialias)).to(y), y)
    if out_w != w:
        y = torch.matmul(y, torch.from_numpy(resize_matrix(w, out_w, scale or out_w / w, kernel, antialias)).to(y).T)
    return y.to(x.dtype)


def downsample(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Per-sample ``functional.downsample`` of an Nx3xHxW tensor; raises InputError on mixed output sizes."""
    h, w = x.shape[-2:]
    groups: dict[tuple, list[int]] = {}
    for i, p in enumerate(params):
        groups.setdefault(tuple(sorted(p.items())), []).append(i)
    results = {}
    for key, idx in groups.items():
        p = dict(key)
        f, k, aa = p["factor"], p["kernel"], p["antialias"]
        y = resize(x[idx], output_length(h, f), output_length(w, f), k, aa, 1 / f)
        results[key] = resize(y, h, w, k, aa) if p["upsample_back"] else y
    sizes = {tuple(r.shape[-2:]) for r in results.values()}
    if len(sizes) > 1:
        raise InputError(f"resize.down: batch samples end at different sizes {sorted(sizes)}; "
                         "use one factor per batch or upsample_back=True")
    out = x.new_empty((x.shape[0], x.shape[1], *sizes.pop()))
    for key, idx in groups.items():
        out[idx] = results[key]
    return out
