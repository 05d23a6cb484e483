"""The numpy path over a torch batch on the CPU: per channel plane or per sample, on torch's host threads.

An operator whose numpy path is faster on the CPU than its device-agnostic batch form (OpenCV's filters,
the compiled tap correlation, sparse particle rendering) runs it on each sample of a CPU batch, so the
batch gives the numpy path's bits. Samples are split into contiguous chunks on ``torch.get_num_threads()``
threads (OpenCV and the compiled loops release the GIL; one thread in a DataLoader worker); each result
depends on its own sample alone. A batch that requires gradients keeps the differentiable torch form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from restorebench.engine import map_chunks


def takes_numpy_path(x: Any) -> bool:
    """Whether the batch tensor ``x`` runs the numpy path: on the CPU and not requiring gradients."""
    return x.device.type == "cpu" and not x.requires_grad


def map_planes(x: Any, fn: Callable[[int, np.ndarray], np.ndarray], size: tuple[int, int] | None = None) -> Any:
    """``fn(i, plane)`` for every channel plane of sample i: x (N,C,H,W) CPU tensor, ``plane`` an HxWx1 float32
    view, ``fn`` returns an (h, w, 1) or (h, w) float32 plane of ``size`` (h, w) (default: (H, W)) -> the
    results as a new (N,C,h,w) tensor of x's dtype."""
    src, out = _arrays(x, size)

    def run(samples: list[int]) -> None:
        for i in samples:
            for c in range(src.shape[1]):
                out[i, c] = fn(i, src[i, c, :, :, None]).reshape(out.shape[2:])

    return _run(run, x, out)


def map_samples(x: Any, fn: Callable[[int, np.ndarray, np.ndarray], object]) -> Any:
    """``fn(i, img, out)`` for every sample i: x (N,C,H,W) CPU tensor; ``img`` and ``out`` are HxWxC float32 views
    of sample i of x and of the result (channel-planar: strided, not C-contiguous); ``fn`` writes its result
    into ``out`` -> the result as a new (N,C,H,W) tensor of x's dtype."""
    src, out = _arrays(x)

    def run(samples: list[int]) -> None:
        for i in samples:
            fn(i, src[i].transpose(1, 2, 0), out[i].transpose(1, 2, 0))

    return _run(run, x, out)


def _arrays(x: Any, size: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(x as a float32 NCHW numpy array, sharing memory where it can; an empty float32 result array of its
    shape, with planes of ``size`` when given)."""
    src = x.detach().float().contiguous().numpy()
    return src, np.empty((*src.shape[:2], *(size or src.shape[2:])), np.float32)


def _run(run: Callable[[list[int]], None], x: Any, out: np.ndarray) -> Any:
    import torch

    map_chunks(run, list(range(len(out))), torch.get_num_threads())
    return torch.from_numpy(out).to(x.dtype)
