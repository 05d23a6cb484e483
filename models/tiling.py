"""Padding to a size multiple and overlap tiling with blending, written once for every restorer.

Tiling: a large batch is cut into ``tile`` x ``tile`` windows (Nx C x tile x tile) whose starts are spaced by
``tile - overlap`` (rounded down to the size multiple, so every window sees the same sampling grid as the
whole image) and the last one is flush with the border. Each output pixel is the weighted mean of the
windows covering it. A window's weight along each axis is 0 over the ``halo`` pixels next to an inner
window border (there the output lacks context: ``halo`` = receptive field // 2), then rises linearly over
the remaining ``overlap - 2*halo`` pixels to 1; at the image border it is 1. So when ``overlap`` covers the
receptive field, only exact outputs get weight and the tiled result equals the untiled one up to float
rounding; the ramp hides seams when it does not (large or global receptive fields).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from restorebench.errors import InputError


def pad_to_multiple(x: Any, multiple: int) -> tuple[Any, tuple[int, int]]:
    """Pad an NxCxHxW tensor at the bottom/right to sides divisible by ``multiple``.

    Reflect padding where the side allows it (pad < side), replicate otherwise.
    Returns ``(padded, (H, W))``; crop the output with ``y[..., :H, :W]``.
    """
    import torch.nn.functional as F

    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return x, (h, w)
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode), (h, w)


def tile_starts(length: int, tile: int, stride: int) -> list[int]:
    """Window starts along one axis: 0, stride, 2*stride, ... and ``length - tile`` (flush with the end)."""
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, stride))
    return starts + [length - tile]


def axis_weight(length: int, start: int, size: int, halo: int, ramp: int) -> Any:
    """Blending weight (1-D float32 tensor of ``size``) of the window at ``start`` on an axis of ``length``."""
    import torch

    pos = torch.arange(size, dtype=torch.float32)
    wgt = torch.ones(size)
    ramp_at = lambda d: ((d - halo + 0.5) / ramp).clamp(0.0, 1.0) * (d >= halo)
    if start > 0:
        wgt = torch.minimum(wgt, ramp_at(pos))
    if start + size < length:
        wgt = torch.minimum(wgt, ramp_at(size - 1 - pos))
    return wgt


def tiled_apply(fn: Callable[[Any], Any], x: Any, tile: int, overlap: int, multiple: int = 1,
                halo: int | None = None) -> Any:
    """Apply ``fn`` (NxCxhxw -> NxCxhxw, sides multiples of ``multiple``) to ``x`` window by window.

    ``tile`` and ``overlap`` are in pixels; ``tile`` is rounded down to ``multiple`` and the image is padded
    to ``multiple`` first (and cropped back). ``halo`` (default ``overlap // 4``) pixels next to inner window
    borders get zero weight; ``overlap`` must exceed ``2 * halo``. Returns a tensor shaped like ``x``.
    """
    import torch

    tile -= tile % multiple
    halo = overlap // 4 if halo is None else halo
    ramp = overlap - 2 * halo
    if tile < max(multiple, 16):
        raise InputError(f"tile {tile}: must be at least 16 pixels and a multiple of {multiple}")
    if ramp < 1:
        raise InputError(f"tile overlap {overlap}px: must exceed twice the model's halo ({halo}px); raise --overlap")
    if overlap >= tile:
        raise InputError(f"tile overlap {overlap}px must be smaller than the tile ({tile}px)")
    xp, (h, w) = pad_to_multiple(x, multiple)
    n, _, hp, wp = xp.shape
    stride = max(multiple, (tile - overlap) // multiple * multiple)
    th, tw = min(tile, hp), min(tile, wp)
    rows = [(top, axis_weight(hp, top, th, halo, ramp).to(xp.device)) for top in tile_starts(hp, th, stride)]
    cols = [(left, axis_weight(wp, left, tw, halo, ramp).to(xp.device)) for left in tile_starts(wp, tw, stride)]
    out = weight = None
    for top, wy in rows:
        for left, wx in cols:
            y = fn(xp[..., top:top + th, left:left + tw]).float()
            if out is None:
                out = torch.zeros((n, y.shape[1], hp, wp), dtype=torch.float32, device=xp.device)
                weight = torch.zeros((hp, wp), dtype=torch.float32, device=xp.device)
            wt = wy[:, None] * wx[None, :]
            out[..., top:top + th, left:left + tw] += y * wt
            weight[top:top + th, left:left + tw] += wt
    return (out / weight)[..., :h, :w]
