"""Shared timing helpers for the benchmark scripts (not part of the installed package)."""

from __future__ import annotations

import time
from collections.abc import Callable


def rate(fn: Callable[[], object], items_per_call: int, seconds: float = 1.0, sync: Callable[[], None] | None = None,
         warmup: int = 2, max_calls: int = 1000, repeats: int = 3) -> float:
    """Items per second of ``fn``: the best of ``repeats`` rounds, each calling it for about ``seconds / repeats``.

    ``warmup`` calls come first; a round makes at least one call and at most ``max_calls``. The best
    round is the one least disturbed by other processes on a shared machine.
    """
    sync = sync or (lambda: None)
    for _ in range(warmup):
        fn()
    sync()
    best = 0.0
    for _ in range(repeats):
        calls, start = 0, time.perf_counter()
        while calls < max_calls:
            fn()
            calls += 1
            if calls % 4 == 0 or calls < 4:
                sync()
                if time.perf_counter() - start >= seconds / repeats:
                    break
        sync()
        best = max(best, calls * items_per_call / (time.perf_counter() - start))
    return best


def interleaved_rates(fns: list[Callable[[], object]], items_per_call: int, seconds: float = 1.0,
                      warmup: int = 2, rounds: int = 3, sync: Callable[[], None] | None = None) -> list[float]:
    """Best items/s of each of ``fns`` over ``rounds`` rounds that time them in turn (about
    ``seconds / rounds`` each per round): a load that comes and goes on a shared machine then hits
    every function alike, so ratios between them hold better than with back-to-back measurements.
    ``sync`` waits for queued device work (CUDA) before a clock is read."""
    best = [0.0] * len(fns)
    for r in range(rounds):
        for i, fn in enumerate(fns):
            best[i] = max(best[i], rate(fn, items_per_call, seconds / rounds, sync=sync,
                                        warmup=warmup if r == 0 else 0, repeats=1))
    return best


def single_thread(keep_memory: bool = True) -> None:
    """Pin numpy/OpenCV/torch to one thread (the CPU comparisons are per core); ``keep_memory`` also keeps
    freed memory for reuse (``restorebench.memory``: it speeds up every library timed in the process alike)."""
    import os

    from restorebench.memory import keep_freed_memory

    if keep_memory:
        keep_freed_memory()

    os.environ["OMP_NUM_THREADS"] = "1"
    import cv2
    import torch

    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def fmt(value: float | None) -> str:
    """A rate for a table cell: thousands separators, or 'n/a'."""
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
