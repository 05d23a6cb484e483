"""Compiled per-pixel loops (numba) for the few kernels that numpy can only run as several passes.

:func:`compiled` compiles a plain-Python loop with numba on its first call, so importing a module that
defines one stays free of numba (about 0.3 s to import). Compilation is nopython, cached on disk
(``__pycache__`` beside the source, else numba's user cache) and without fast-math: every operation is
IEEE float32/float64 as numpy does it (no fused multiply-add, no reordering), so a loop that performs
numpy's operations in numpy's order gives numpy's bits on every platform.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def compiled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: ``fn`` compiled by ``numba.njit`` (cache, nogil, no bounds checks) on its first call."""
    kernel: list[Callable[..., Any]] = []

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        if not kernel:
            import numba

            kernel.append(numba.njit(cache=True, nogil=True, boundscheck=False)(fn))
        return kernel[0](*args)

    return call
