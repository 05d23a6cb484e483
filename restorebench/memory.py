"""Process-wide allocator tuning for image pipelines: keep freed image-sized blocks for reuse (glibc only).

By default glibc's malloc serves each block above its mmap threshold (dynamic, starting at 128 KiB)
with a fresh ``mmap`` and returns it on ``free``, and trims freed heap memory above 128 KiB back to
the system. An operator chain at 512x512 makes a dozen image-sized temporaries per image, so every
image then pays thousands of minor page faults. :func:`keep_freed_memory` fixes both thresholds: blocks up to
:data:`MMAP_THRESHOLD` come from the heap and up to :data:`TRIM_THRESHOLD` of freed memory is kept.
restorebench calls it in its own processes (the CLI, corpus workers, benchmark scripts); call it at
the start of a data-loader worker that degrades images on the fly.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

MMAP_THRESHOLD = 64 * 2**20
"""Blocks up to this many bytes (64 MiB) come from the heap, not from a fresh mmap."""
TRIM_THRESHOLD = 256 * 2**20
"""Freed heap memory up to this many bytes (256 MiB) stays in the process for reuse."""
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


@functools.cache
def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds (see the module docstring); False where there is no glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
