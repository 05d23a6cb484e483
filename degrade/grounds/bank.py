"""A byte-bounded, least-recently-used store of rendered ground elements (read-only float32 arrays).

A TE42 chart is a fixed set of printed elements; Defusion composes its grounds from crops of such
charts. Likewise every element here has a finite set of variants (see
:data:`degrade.grounds.compose.VARIANTS`), each a deterministic drawing, so a drawing is rendered
once per (element, size, variant) and then reused: composing a ground is four array copies.
The store holds at most :data:`BANK_BYTES` bytes per process (all variants of every element at
256 px take about 75 MB) and evicts the least recently used drawing beyond that.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np

BANK_BYTES = 256 * 2**20
"""Most bytes of drawings the store keeps per process (256 MiB)."""

_store: OrderedDict[Hashable, np.ndarray] = OrderedDict()
_bytes = 0


def drawing(key: Hashable, render: Callable[[], np.ndarray]) -> np.ndarray:
    """The read-only drawing stored under ``key``; ``render()`` makes (and stores) it on first use."""
    global _bytes
    out = _store.get(key)
    if out is not None:
        _store.move_to_end(key)
        return out
    out = np.ascontiguousarray(render(), dtype=np.float32)
    out.flags.writeable = False
    _store[key] = out
    _bytes += out.nbytes
    while _bytes > BANK_BYTES and len(_store) > 1:
        _bytes -= _store.popitem(last=False)[1].nbytes
    return out


def clear() -> None:
    """Forget every stored drawing (the registry calls this when elements change)."""
    global _bytes
    _store.clear()
    _bytes = 0


def stored_bytes() -> int:
    """Bytes currently held by the store."""
    return _bytes
