"""Exact float32 2-D correlation by kernel taps, compiled: the CPU route of ``degrade.filtering.convolve``
for kernels that are not rank one.

A correlation kernel becomes a :class:`TapPlan`. Its *plateau* (the most frequent non-zero weight, e.g.
the flat inside of a defocus disk) is summed as vertical runs: for every output row the sums of the
input rows each run spans are built once (a run nested in a longer one is extended by its extra rows),
then each kernel column adds its run's sum, shifted, and the total is scaled by the plateau weight.
The other taps are multiply-adds, eight at a time. A radius-6 disk (137 taps, 97 on its plateau) costs
62 loads per output value instead of 137, a camera-shake kernel about its number of taps.

Arithmetic is plain IEEE float32 in a fixed order (no fused multiply-add, no reordering; ``restorebench.jit``),
so results are the same bits on every machine, unlike OpenCV's CPU-dispatched ``filter2D``; they differ
from an exact correlation by float32 rounding (~1e-7 for [0,1] images and unit-sum kernels).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from restorebench.jit import compiled

PLATEAU_MIN = 12
"""Fewest taps of one weight worth summing as runs (below it the run sums cost more than they save)."""


@dataclass(frozen=True)
class TapPlan:
    """How to correlate with a kh x kw kernel (rows and columns index the kernel, 0..kh-1 / 0..kw-1).

    runs (R, 2): inclusive kernel-row ranges summed per output row, shortest first; parents (R,): index of
    a run nested in each (extended by the extra rows) or -1; run_rows, run_ends: the rows each run adds
    to its parent's sum (all its rows without one), concatenated, and where each run's rows end;
    plateau_runs, plateau_cols (P,): for each plateau column its run and column; scale: the plateau
    weight (1 when there is none); tap_rows, tap_cols, tap_weights (T,): the other non-zero taps, row-major.
    """

    shape: tuple[int, int]
    runs: np.ndarray
    parents: np.ndarray
    run_rows: np.ndarray
    run_ends: np.ndarray
    plateau_runs: np.ndarray
    plateau_cols: np.ndarray
    scale: np.float32
    tap_rows: np.ndarray
    tap_cols: np.ndarray
    tap_weights: np.ndarray

    @property
    def loads(self) -> int:
        """Input values read per output value: run rows, plateau columns and taps."""
        return int(self.run_rows.size + self.plateau_cols.size + self.tap_weights.size)


def tap_plan(kernel: np.ndarray) -> TapPlan:
    """The plan of a 2-D float32 correlation kernel (any sides; non-zero taps only)."""
    k = np.asarray(kernel, np.float32)
    return _cached_plan(k.shape, k.tobytes())


@functools.lru_cache(maxsize=256)
def _cached_plan(shape: tuple[int, int], data: bytes) -> TapPlan:
    k = np.frombuffer(data, np.float32).reshape(shape)
    run_of_col, scale = _plateau_runs(k)
    runs = sorted(set(run_of_col.values()), key=lambda r: (r[1] - r[0], r))
    parents = [max((i for i in range(j) if runs[i][0] >= a and runs[i][1] <= b),
                   key=lambda i: runs[i][1] - runs[i][0], default=-1) for j, (a, b) in enumerate(runs)]
    extra = [_extra_rows(runs, parents, j) for j in range(len(runs))]
    on_plateau = sum(b - a + 1 for a, b in run_of_col.values())
    if runs and sum(e.size for e in extra) + len(run_of_col) >= on_plateau:
        # the run sums would cost as many reads as the plateau taps themselves: all taps instead
        run_of_col, runs, parents, extra, scale = {}, [], [], [], np.float32(1)
    taps = k != 0
    for col, (a, b) in run_of_col.items():
        taps[a:b + 1, col] = False
    tap_rows, tap_cols = np.nonzero(taps)
    plateau_cols = np.array(sorted(run_of_col), np.int64)
    return TapPlan(
        shape, np.array(runs, np.int64).reshape(-1, 2), np.array(parents, np.int64),
        np.concatenate(extra).astype(np.uint64) if extra else np.zeros(0, np.uint64),
        np.cumsum([e.size for e in extra], dtype=np.int64),
        np.array([runs.index(run_of_col[c]) for c in plateau_cols], np.int64), plateau_cols, scale,
        tap_rows.astype(np.int64), tap_cols.astype(np.int64), np.ascontiguousarray(k[tap_rows, tap_cols]))


def _plateau_runs(k: np.ndarray) -> tuple[dict[int, tuple[int, int]], np.float32]:
    """The kernel's plateau: {column: (first row, last row)} of the longest run of at least two taps of
    its most frequent weight in each column, and that weight; ({}, 1) when it has fewer than PLATEAU_MIN taps."""
    values, counts = np.unique(k[k != 0], return_counts=True)
    if not counts.size or counts.max() < PLATEAU_MIN:
        return {}, np.float32(1)
    scale = np.float32(values[np.argmax(counts)])
    run_of_col = {}
    for col in range(k.shape[1]):
        rows = np.flatnonzero(k[:, col] == scale)
        if rows.size >= 2:
            run = max(np.split(rows, np.flatnonzero(np.diff(rows) != 1) + 1), key=len)
            if run.size >= 2:
                run_of_col[col] = (int(run[0]), int(run[-1]))
    return run_of_col, (scale if run_of_col else np.float32(1))


def _extra_rows(runs: list[tuple[int, int]], parents: list[int], j: int) -> np.ndarray:
    """Kernel rows that run ``j`` adds to its parent's sum (all its rows when it has none)."""
    a, b = runs[j]
    if parents[j] < 0:
        return np.arange(a, b + 1)
    pa, pb = runs[parents[j]]
    return np.concatenate([np.arange(a, pa), np.arange(pb + 1, b + 1)])


def correlate(img: np.ndarray, kernel: np.ndarray, clip: bool = False) -> np.ndarray:
    """Correlate every channel of an HxWxC float32 image with a 2-D kernel (odd sides), reflect-101 borders.

    The kernel's radius must be below the image's sides. ``clip`` clamps the result to [0,1] in the same pass.
    Returns a new HxWxC float32 array.
    """
    return correlate_plan(img, tap_plan(kernel), clip)


def correlate_plan(img: np.ndarray, plan: TapPlan, clip: bool = False) -> np.ndarray:
    """:func:`correlate` with the kernel's :class:`TapPlan` already made."""
    kh, kw = plan.shape
    h, w, c = img.shape
    if kh // 2 >= h or kw // 2 >= w:
        raise ValueError(f"correlate: a {kh}x{kw} kernel needs an image larger than its radius, got {h}x{w}")
    pad = cv2.copyMakeBorder(np.ascontiguousarray(img, np.float32), kh // 2, kh // 2, kw // 2, kw // 2,
                             cv2.BORDER_REFLECT_101).reshape(h + kh - 1, (w + kw - 1) * c)
    stride = pad.shape[1]
    out = np.empty((h, w * c), np.float32)
    _correlate(pad, out, plan.run_rows, plan.run_ends, plan.parents,
               (plan.plateau_runs * stride + plan.plateau_cols * c).astype(np.uint64), plan.scale,
               (plan.tap_rows * stride + plan.tap_cols * c).astype(np.uint64), plan.tap_weights, clip)
    return out.reshape(h, w, c)


@compiled
def _correlate(pad: np.ndarray, out: np.ndarray, run_rows: np.ndarray, run_ends: np.ndarray, parents: np.ndarray,
               plateau_offsets: np.ndarray, scale: np.float32, tap_offsets: np.ndarray, tap_weights: np.ndarray,
               clip: bool) -> None:
    """out[y] = scale * sum(plateau run sums, shifted) + sum(taps), per output row y; see :class:`TapPlan`.

    pad (H + kh - 1, stride) float32; run j adds pad rows ``run_rows[run_ends[j-1]:run_ends[j]]`` (kernel
    rows, relative to y) to run ``parents[j]``'s sum; ``plateau_offsets`` index the run sums
    (run * stride + column * C), ``tap_offsets`` pad (row * stride + column * C), relative to row y.
    Indices are uint64 so that the compiled loops need no negative-index handling and vectorize.
    """
    n = np.uint64(out.shape[1])
    stride = np.uint64(pad.shape[1])
    src = pad.ravel()
    dst = out.ravel()
    sums = np.empty(max(run_ends.shape[0], 1) * pad.shape[1], np.float32)
    n_plateau = plateau_offsets.shape[0]
    n_taps = tap_weights.shape[0]
    for y in range(out.shape[0]):
        top = np.uint64(y) * stride
        for j in range(run_ends.shape[0]):
            s = np.uint64(j) * stride
            rows = run_rows[run_ends[j - 1] if j > 0 else 0:run_ends[j]]
            k = 0
            if parents[j] < 0:
                r0 = top + rows[0] * stride
                for i in range(stride):
                    sums[s + i] = src[r0 + i]
                k = 1
            else:
                p = np.uint64(parents[j]) * stride
                for i in range(stride):
                    sums[s + i] = sums[p + i]
            while k + 1 < rows.shape[0]:
                r0, r1 = top + rows[k] * stride, top + rows[k + 1] * stride
                for i in range(stride):
                    sums[s + i] += src[r0 + i] + src[r1 + i]
                k += 2
            if k < rows.shape[0]:
                r0 = top + rows[k] * stride
                for i in range(stride):
                    sums[s + i] += src[r0 + i]
        o = np.uint64(y) * n
        for i in range(n):
            dst[o + i] = 0.0
        for t in range(0, n_plateau - n_plateau % 4, 4):
            q0, q1 = plateau_offsets[t], plateau_offsets[t + 1]
            q2, q3 = plateau_offsets[t + 2], plateau_offsets[t + 3]
            for i in range(n):
                dst[o + i] += (sums[q0 + i] + sums[q1 + i]) + (sums[q2 + i] + sums[q3 + i])
        for t in range(n_plateau - n_plateau % 4, n_plateau):
            q0 = plateau_offsets[t]
            for i in range(n):
                dst[o + i] += sums[q0 + i]
        if n_plateau:
            for i in range(n):
                dst[o + i] *= scale
        for t in range(0, n_taps - n_taps % 8, 8):
            b0, b1, b2, b3 = top + tap_offsets[t], top + tap_offsets[t + 1], top + tap_offsets[t + 2], top + tap_offsets[t + 3]
            b4, b5, b6, b7 = top + tap_offsets[t + 4], top + tap_offsets[t + 5], top + tap_offsets[t + 6], top + tap_offsets[t + 7]
            w0, w1, w2, w3 = tap_weights[t], tap_weights[t + 1], tap_weights[t + 2], tap_weights[t + 3]
            w4, w5, w6, w7 = tap_weights[t + 4], tap_weights[t + 5], tap_weights[t + 6], tap_weights[t + 7]
            for i in range(n):
                dst[o + i] += (((w0 * src[b0 + i] + w1 * src[b1 + i]) + (w2 * src[b2 + i] + w3 * src[b3 + i]))
                               + ((w4 * src[b4 + i] + w5 * src[b5 + i]) + (w6 * src[b6 + i] + w7 * src[b7 + i])))
        for t in range(n_taps - n_taps % 8, n_taps):
            b0, w0 = top + tap_offsets[t], tap_weights[t]
            for i in range(n):
                dst[o + i] += w0 * src[b0 + i]
        if clip:
            for i in range(n):
                dst[o + i] = min(max(dst[o + i], np.float32(0.0)), np.float32(1.0))
