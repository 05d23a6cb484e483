"""Shared timing helpers for the benchmark scripts (not part of the installed package)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def round_rates(fn: Callable[[], object], items_per_call: int, seconds: float = 1.0,
                sync: Callable[[], None] | None = None, warmup: int = 2, max_calls: int = 1000, repeats: int = 3,
                between: Callable[[], object] | None = None) -> list[float]:
    """Items per second of ``fn`` in each of ``repeats`` rounds, each calling it for about ``seconds / repeats``.

    ``warmup`` calls come first; a round makes at least one call and at most ``max_calls``; each call is
    timed alone (``sync`` after it). ``between`` (other work, as a data loader does between two images)
    runs untimed before every timed call.
    """
    sync = sync or (lambda: None)
    for _ in range(warmup):
        fn()
    sync()
    rates = []
    for _ in range(repeats):
        calls, busy = 0, 0.0
        while calls < max_calls and (calls == 0 or busy < seconds / repeats):
            if between is not None:
                between()
                sync()
            start = time.perf_counter()
            fn()
            sync()
            busy += time.perf_counter() - start
            calls += 1
        rates.append(calls * items_per_call / busy)
    return rates


def rate(fn: Callable[[], object], items_per_call: int, seconds: float = 1.0, sync: Callable[[], None] | None = None,
         warmup: int = 2, max_calls: int = 1000, repeats: int = 3) -> float:
    """Median items per second of ``fn`` over ``repeats`` rounds (see :func:`round_rates`)."""
    return statistics.median(round_rates(fn, items_per_call, seconds, sync, warmup, max_calls, repeats))


def interleaved_rates(fns: list[Callable[[], object]], items_per_call: int, seconds: float = 1.0,
                      warmup: int = 2, rounds: int = 5, sync: Callable[[], None] | None = None,
                      between: Callable[[], object] | None = None) -> list[list[float]]:
    """Items/s of each of ``fns`` in each of ``rounds`` rounds that time them in turn (about
    ``seconds / rounds`` each per round), so that a load that comes and goes on a shared machine hits
    every function alike. ``between``: untimed other work before every call (see :func:`round_rates`)."""
    out: list[list[float]] = [[] for _ in fns]
    for r in range(rounds):
        for i, fn in enumerate(fns):
            out[i] += round_rates(fn, items_per_call, seconds / rounds, sync, warmup if r == 0 else 0, repeats=1,
                                  between=between)
    return out


def ratio_rounds(ours: list[float], peer: list[float]) -> list[float]:
    """Per-round ratios ours/peer of two interleaved measurements (rounds paired)."""
    return [a / b for a, b in zip(ours, peer, strict=True)]


def spread(values: list[float] | None, ratio: bool = False) -> str:
    """A table cell: the median and, in parentheses, the lowest and highest value (rates or ``ratio`` x)."""
    if not values:
        return "n/a"
    lo, mid, hi = min(values), statistics.median(values), max(values)
    if ratio:
        return f"{mid:.2f}x ({lo:.2f}-{hi:.2f})"
    return f"{fmt(mid)} ({fmt(lo)}-{fmt(hi)})"


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
