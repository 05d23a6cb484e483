"""Exact float32 separable correlation, compiled: the CPU route of ``degrade.filtering.convolve`` for
rank-one kernels (axis-aligned Gaussians, boxes, straight lines).

The image is correlated with ``outer(column, row)`` in two 1-D passes: every row with ``row`` (into a
float32 buffer), then every column of that with ``column``; borders are reflect-101
(``cv2.BORDER_REFLECT_101``, reflected again where a factor is longer than the image). Each output value
is a fixed sum. A symmetric factor (a Gaussian) adds each pair of mirrored inputs before its one multiply:
the centre tap, then the pairs from the outermost in, six per update (then four, then one), each update
added pairwise; other factors add their taps in order, four per update, then one. Arithmetic is plain
IEEE float32 in that order (no fused multiply-add; ``restorebench.jit``), so results are the same bits on
every machine, unlike OpenCV's CPU-dispatched ``sepFilter2D``; they differ from an exact correlation by
float32 rounding (~3e-7 for [0,1] images and unit-sum factors).
"""

from __future__ import annotations

import numpy as np

from restorebench.jit import compiled


def correlate_separable(img: np.ndarray, column: np.ndarray, row: np.ndarray,
                        clip: bool = False) -> np.ndarray:
    """Correlate every channel of an HxWxC float32 image with ``outer(column, row)`` (1-D float32 factors
    of odd length, any length), reflect-101 borders; ``clip`` clamps the result to [0,1] in the same pass.
    Returns a new HxWxC float32 array."""
    h, w, c = img.shape
    if column.size % 2 == 0 or row.size % 2 == 0:
        raise ValueError(f"correlate_separable: factors need odd lengths, got {column.size} and {row.size}")
    out = np.empty((h, w * c), np.float32)
    src = np.ascontiguousarray(img, np.float32).reshape(h, w * c)
    factors = (np.ascontiguousarray(f, np.float32) for f in (column, row))
    _correlate_separable(src, c, *factors, reflect_101_index(h, column.size // 2),
                         reflect_101_index(w, row.size // 2), clip, out)
    return out.reshape(h, w, c)


def reflect_101_index(n: int, radius: int) -> np.ndarray:
    """Source index (0..n-1) of each position -radius..n+radius-1 of a line of ``n`` values padded by
    reflect-101 (``dcb|abcd|cba``), reflected as often as a radius beyond the line needs.
    -> int64 (n + 2 radius)."""
    i = np.arange(-radius, n + radius)
    if n == 1:
        return np.zeros(i.size, np.int64)
    period = 2 * (n - 1)
    m = np.mod(i, period)
    return np.where(m >= n, period - m, m).astype(np.int64)


@compiled
def _correlate_separable(src: np.ndarray, c: int, column: np.ndarray, row: np.ndarray, rows: np.ndarray,
                         cols: np.ndarray, clip: bool, out: np.ndarray) -> None:
    """out = src correlated with ``row`` along rows, then with ``column`` along columns.

    src, out (H, W*C) float32 with channels interleaved; rows (H + kh - 1), cols (W + kw - 1): the source
    row and column of every padded position (:func:`reflect_101_index`). Indices are uint64 so that the
    compiled loops need no negative-index handling and vectorize.
    """

    def is_symmetric(weights: np.ndarray) -> bool:
        k = weights.shape[0]
        for t in range(k // 2):
            if weights[t] != weights[k - 1 - t]:
                return False
        return True

    def weighted_sum(data: np.ndarray, starts: np.ndarray, weights: np.ndarray, symmetric: bool,
                     dst: np.ndarray, o: np.uint64, n: np.uint64) -> None:
        """dst[o:o+n] = sum over taps t of weights[t] * data[starts[t]:starts[t]+n], in the module's order
        (mirrored pairs first added where ``symmetric``)."""
        k = weights.shape[0]
        m = k // 2
        if not symmetric:
            for i in range(n):
                dst[o + i] = 0.0
            t = 0
            while t + 4 <= k:
                a0, a1, a2, a3 = starts[t], starts[t + 1], starts[t + 2], starts[t + 3]
                w0, w1, w2, w3 = weights[t], weights[t + 1], weights[t + 2], weights[t + 3]
                for i in range(n):
                    dst[o + i] += ((w0 * data[a0 + i] + w1 * data[a1 + i])
                                   + (w2 * data[a2 + i] + w3 * data[a3 + i]))
                t += 4
            while t < k:
                a0, w0 = starts[t], weights[t]
                for i in range(n):
                    dst[o + i] += w0 * data[a0 + i]
                t += 1
            return
        wc, bc = weights[m], starts[m]
        for i in range(n):
            dst[o + i] = wc * data[bc + i]
        t = 0
        while t + 6 <= m:
            a0, b0, a1, b1 = starts[t], starts[k - 1 - t], starts[t + 1], starts[k - 2 - t]
            a2, b2, a3, b3 = starts[t + 2], starts[k - 3 - t], starts[t + 3], starts[k - 4 - t]
            a4, b4, a5, b5 = starts[t + 4], starts[k - 5 - t], starts[t + 5], starts[k - 6 - t]
            w0, w1, w2 = weights[t], weights[t + 1], weights[t + 2]
            w3, w4, w5 = weights[t + 3], weights[t + 4], weights[t + 5]
            for i in range(n):
                dst[o + i] += (((w0 * (data[a0 + i] + data[b0 + i]) + w1 * (data[a1 + i] + data[b1 + i]))
                                + (w2 * (data[a2 + i] + data[b2 + i]) + w3 * (data[a3 + i] + data[b3 + i])))
                               + (w4 * (data[a4 + i] + data[b4 + i]) + w5 * (data[a5 + i] + data[b5 + i])))
            t += 6
        if t + 4 <= m:
            a0, b0, a1, b1 = starts[t], starts[k - 1 - t], starts[t + 1], starts[k - 2 - t]
            a2, b2, a3, b3 = starts[t + 2], starts[k - 3 - t], starts[t + 3], starts[k - 4 - t]
            w0, w1, w2, w3 = weights[t], weights[t + 1], weights[t + 2], weights[t + 3]
            for i in range(n):
                dst[o + i] += ((w0 * (data[a0 + i] + data[b0 + i]) + w1 * (data[a1 + i] + data[b1 + i]))
                               + (w2 * (data[a2 + i] + data[b2 + i]) + w3 * (data[a3 + i] + data[b3 + i])))
            t += 4
        while t < m:
            a0, b0, w0 = starts[t], starts[k - 1 - t], weights[t]
            for i in range(n):
                dst[o + i] += w0 * (data[a0 + i] + data[b0 + i])
            t += 1

    h = src.shape[0]
    n = np.uint64(src.shape[1])
    kh, kw = column.shape[0], row.shape[0]
    w = src.shape[1] // c
    q = kw // 2
    line = np.empty((w + kw - 1) * c, np.float32)
    starts = np.empty(kw, np.uint64)
    for t in range(kw):
        starts[t] = np.uint64(t * c)
    across = np.empty(h * src.shape[1], np.float32)
    row_symmetric, column_symmetric = is_symmetric(row), is_symmetric(column)
    for y in range(h):
        source = src[y]
        for x in range(q):
            left, right = cols[x] * c, cols[w + q + x] * c
            for ch in range(c):
                line[x * c + ch] = source[left + ch]
                line[(w + q + x) * c + ch] = source[right + ch]
        inner = np.uint64(q * c)
        for i in range(n):
            line[inner + i] = source[i]
        weighted_sum(line, starts, row, row_symmetric, across, np.uint64(y) * n, n)
    dst = out.ravel()
    starts = np.empty(kh, np.uint64)
    for y in range(h):
        for t in range(kh):
            starts[t] = np.uint64(rows[y + t]) * n
        o = np.uint64(y) * n
        weighted_sum(across, starts, column, column_symmetric, dst, o, n)
        if clip:
            for i in range(n):
                dst[o + i] = min(max(dst[o + i], np.float32(0.0)), np.float32(1.0))
