"""Resize, torch batch path: on the CPU the numpy path plane by plane (its sparse resampling, its bits);
on other devices the same MATLAB contributions as dense matrices, applied by matmul.

Samples with identical params run together; all samples of a batch must end at the same size
(the same factor, or ``upsample_back``), since a batch is one tensor.
"""

from __future__ import annotations

import torch

from degrade.cpu_batch import map_planes, takes_numpy_path
from degrade.ops.resize import functional
from restorebench.errors import InputError


def resize(x: torch.Tensor, out_h: int, out_w: int, kernel: str, antialias: bool,
           scale: float | None = None) -> torch.Tensor:
    """Resize an NxCxHxW tensor to ``out_h`` x ``out_w`` (see ``functional.resize``): on the CPU every plane by
    the numpy path (the same bytes), elsewhere :func:`resize_dense`."""
    if not takes_numpy_path(x):
        return resize_dense(x, out_h, out_w, kernel, antialias, scale)
    return map_planes(x, lambda i, plane: functional.resize(plane, out_h, out_w, kernel, antialias, scale),
                      (out_h, out_w))


def resize_dense(x: torch.Tensor, out_h: int, out_w: int, kernel: str, antialias: bool,
                 scale: float | None = None) -> torch.Tensor:
    """:func:`resize` by two matmuls with the dense contribution matrices, on x's device (agrees with the
    numpy path to float32 rounding)."""
    h, w = x.shape[-2:]
    y = x.float()
    if out_h != h:
        rows = functional.resize_matrix(h, out_h, scale or out_h / h, kernel, antialias)
        y = torch.matmul(torch.from_numpy(rows).to(y), y)
    if out_w != w:
        cols = functional.resize_matrix(w, out_w, scale or out_w / w, kernel, antialias)
        y = torch.matmul(y, torch.from_numpy(cols).to(y).T)
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
        y = resize(x[idx], functional.output_length(h, f), functional.output_length(w, f), k, aa, 1 / f)
        results[key] = resize(y, h, w, k, aa) if p["upsample_back"] else y
    sizes = {tuple(r.shape[-2:]) for r in results.values()}
    if len(sizes) > 1:
        raise InputError(f"resize.down: batch samples end at different sizes {sorted(sizes)}; "
                         "use one factor per batch or upsample_back=True")
    out = x.new_empty((x.shape[0], x.shape[1], *sizes.pop()))
    for key, idx in groups.items():
        out[idx] = results[key]
    return out
