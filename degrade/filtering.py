"""Convolution shared by blur, rain, snow and haze: one numpy path and one batched torch path.

Both convolve (kernel flipped, true convolution) with reflect-101 borders (``cv2.BORDER_REFLECT_101``
== torch ``reflect``), so the CPU and batch paths agree to float32 rounding (~1e-6).
Kernels are 2-D float arrays with odd sides; images HxWxC (numpy) or NxCxHxW (torch).
"""

from __future__ import annotations

import functools
from typing import Any

import cv2
import numpy as np

from restorebench.jit import compiled

DIRECT_TAPS = 129
"""Largest float32 kernel (entries) ``cv2.filter2D`` applies directly; from 130 on it takes a slower DFT route."""

SPLIT_TAPS = 500
"""Kernels whose centre-anchored pieces total at most this many entries are applied as a sum of direct passes."""

PASS_TAPS = 8
"""Cost of one extra ``filter2D`` pass and sum, in kernel taps (about 0.3 ms at 512x512x3 on one thread)."""

SPLITS = ("rows", "cols", "quadrants")
"""Ways of cutting a kernel into centre-anchored pieces: upper/lower halves, left/right halves, quadrants."""


def convolve(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve every channel of an HxWxC float32 image with a 2-D kernel (odd sides), reflect-101 borders.

    Routes, all exact to float32 rounding: up to DIRECT_TAPS entries, one direct ``cv2.filter2D``;
    rank one (axis-aligned Gaussians, boxes, straight lines), ``cv2.sepFilter2D``; otherwise, when
    the kernel cuts into pieces that each fit the direct route (halves or quadrants, see
    :func:`_pieces`; disks up to radius 10, most shake kernels), the sum of their direct passes, each
    anchored at the kernel centre, choosing the cut with the fewest taps plus PASS_TAPS per pass
    (one thread: 2-3x faster than OpenCV's DFT); else ``cv2.filter2D``'s DFT.
    """
    k = np.ascontiguousarray(kernel[::-1, ::-1], dtype=np.float32)
    route, args = _route(k.shape, k.tobytes())
    if route == "separable":
        out = cv2.sepFilter2D(img, -1, args[1], args[0], borderType=cv2.BORDER_REFLECT_101)
    elif route == "pieces":
        out = None
        for piece, anchor in args:
            part = cv2.filter2D(img, -1, piece, anchor=anchor, borderType=cv2.BORDER_REFLECT_101)
            out = part if out is None else cv2.add(out, part, dst=out)
    else:
        out = cv2.filter2D(img, -1, k, borderType=cv2.BORDER_REFLECT_101)
    return out.reshape(img.shape)


@functools.lru_cache(maxsize=256)
def _route(shape: tuple[int, int], data: bytes) -> tuple[str, Any]:
    """How :func:`convolve` applies the correlation kernel of ``shape`` with float32 ``data`` (cached:
    fixed kernels such as disks and Gaussians come back call after call): ("direct", None),
    ("separable", (column, row)), ("pieces", [(piece, anchor), ...]) or ("dft", None)."""
    k = np.frombuffer(data, np.float32).reshape(shape)
    if k.size <= DIRECT_TAPS:
        return "direct", None
    if (factors := _rank_one(k)) is not None:
        return "separable", factors
    cuts = [cut for cut in (_pieces(k, split) for split in SPLITS)
            if max(p.size for p, _ in cut) <= DIRECT_TAPS and sum(p.size for p, _ in cut) <= SPLIT_TAPS]
    if not cuts:
        return "dft", None
    return "pieces", min(cuts, key=lambda c: sum(p.size + PASS_TAPS for p, _ in c))


def _rank_one(k: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(column, row) float32 factors with ``outer(column, row) == k`` to float32 precision, or None."""
    u, s, vt = np.linalg.svd(k.astype(np.float64))
    if s[1] > 1e-7 * s[0]:
        return None
    return (u[:, 0] * np.sqrt(s[0])).astype(np.float32), (vt[0] * np.sqrt(s[0])).astype(np.float32)


def _pieces(k: np.ndarray, split: str) -> list[tuple[np.ndarray, tuple[int, int]]]:
    """Cut a correlation kernel into (piece, (anchor_x, anchor_y)) whose boxes all contain the centre.

    ``split`` is ``"rows"`` (upper part with the centre row, lower part), ``"cols"`` (left with the
    centre column, right) or ``"quadrants"`` (both). Each part is cropped to its non-zero taps plus
    the centre pixel, so ``filter2D`` can anchor it at the kernel centre and read the same reflect-101
    borders as the whole kernel would.
    """
    kh, kw = k.shape
    cy, cx = kh // 2, kw // 2
    row_parts = ((0, cy + 1), (cy + 1, kh)) if split != "cols" else ((0, kh),)
    col_parts = ((0, cx + 1), (cx + 1, kw)) if split != "rows" else ((0, kw),)
    pieces = []
    for r0, r1 in row_parts:
        for c0, c1 in col_parts:
            rows, cols = np.nonzero(k[r0:r1, c0:c1])
            if rows.size == 0:
                continue
            i0, i1 = min(r0 + rows.min(), cy), max(r0 + rows.max(), cy) + 1
            j0, j1 = min(c0 + cols.min(), cx), max(c0 + cols.max(), cx) + 1
            piece = np.zeros((i1 - i0, j1 - j0), np.float32)
            piece[r0 + rows - i0, c0 + cols - j0] = k[r0 + rows, c0 + cols]
            pieces.append((piece, (cx - j0, cy - i0)))
    return pieces


def pad_kernels(kernels: list[np.ndarray]) -> np.ndarray:
    """Zero-pad centred odd-sided kernels to a common odd size: list of kh x kw -> N x K x K float32."""
    size = max(max(k.shape) for k in kernels)
    size += 1 - size % 2
    out = np.zeros((len(kernels), size, size), np.float32)
    for i, k in enumerate(kernels):
        if k.shape[0] % 2 == 0 or k.shape[1] % 2 == 0:
            raise ValueError(f"kernel of shape {k.shape}: sides must be odd")
        top, left = (size - k.shape[0]) // 2, (size - k.shape[1]) // 2
        out[i, top:top + k.shape[0], left:left + k.shape[1]] = k
    return out


def fft_size(n: int) -> int:
    """The smallest integer >= ``n`` with no prime factor above 7 (fast for cuFFT, MKL and pocketfft alike;
    e.g. 542 = 2 x 271 -> 560, about twice as fast)."""
    while True:
        m = n
        for p in (2, 3, 5, 7):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def convolve_batch(x: Any, kernels: Any) -> Any:
    """Per-sample convolution: x (N,C,H,W), kernels (N,K,K) or (N,C,K,K) torch -> (N,C,H,W).

    FFT convolution (rfft2, multiply, irfft2) on a reflect-padded copy, on a grid of :func:`fft_size`;
    the cost does not grow with the kernel size, which makes long motion kernels cheap on the GPU.
    """
    import torch
    import torch.nn.functional as F

    h, w = x.shape[-2:]
    k = torch.as_tensor(kernels, dtype=torch.float32, device=x.device)
    if k.ndim == 3:
        k = k[:, None]
    ks = k.shape[-1]
    r = ks // 2
    if r >= h or r >= w:
        # kernels wider than the image: torch cannot reflect that far, so borders replicate here
        xp = F.pad(x.float(), (r, r, r, r), mode="replicate")
    else:
        xp = F.pad(x.float(), (r, r, r, r), mode="reflect")
    # any grid at least as large as the padded image gives the same crop: take one whose FFT is fast
    grid = (fft_size(xp.shape[-2]), fft_size(xp.shape[-1]))
    fx = torch.fft.rfft2(xp, s=grid)
    fk = torch.fft.rfft2(k, s=grid)
    y = torch.fft.irfft2(fx * fk, s=grid)
    return y[..., 2 * r:2 * r + h, 2 * r:2 * r + w].to(x.dtype)



def splat(shape: tuple[int, int], groups: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
          floor: float = 1e-3) -> np.ndarray:
    """Convolve sparse impulses with kernels: HxW float32 sum over ``groups`` of ``amps[i] * kernel`` at (rows[i], cols[i]).

    Each group is ``(rows, cols, amps, kernel)`` (integer pixel positions, float amplitudes, a 2-D kernel
    with odd sides). Equal to placing each group's impulses in a zero image and calling :func:`convolve`
    with its kernel (true convolution), but the cost grows with impulses x kernel taps instead of the
    image area, and impulses may lie up to their kernel's radius outside the image (shapes then enter
    from the borders; no reflection). Taps below ``floor`` times a kernel's peak are skipped.
    """
    h, w = shape
    ry = max((g[3].shape[0] // 2 for g in groups), default=0)
    rx = max((g[3].shape[1] // 2 for g in groups), default=0)
    # canvas padded by twice the largest radius: every tap of every allowed impulse lands inside it
    wp = w + 4 * rx
    canvas = np.zeros((h + 4 * ry) * wp, np.float64)  # summed in float64, rounded to float32 once
    for rows, cols, amps, kernel in groups:
        ky, kx = kernel.shape[0] // 2, kernel.shape[1] // 2
        rows, cols = np.asarray(rows), np.asarray(cols)
        if rows.size and (rows.min() < -ky or rows.max() >= h + ky or cols.min() < -kx or cols.max() >= w + kx):
            raise ValueError(f"splat: impulse positions must lie within the kernel radius ({ky}, {kx}) of the image")
        ty, tx = np.nonzero(kernel >= floor * kernel.max())
        base = (rows.astype(np.int64) + 2 * ry) * wp + (cols.astype(np.int64) + 2 * rx)
        _scatter(canvas, base, np.asarray(amps, np.float32), (ty - ky) * wp + (tx - kx),
                 np.asarray(kernel, np.float32)[ty, tx])
    return canvas.reshape(h + 4 * ry, wp)[2 * ry:2 * ry + h, 2 * rx:2 * rx + w].astype(np.float32)


@compiled
def _scatter(canvas: np.ndarray, base: np.ndarray, amps: np.ndarray, offsets: np.ndarray, values: np.ndarray) -> None:
    """canvas[base[i] + offsets[j]] += float32(amps[i] * values[j]) for every impulse i and tap j (float64 canvas)."""
    for i in range(base.shape[0]):
        for j in range(offsets.shape[0]):
            canvas[base[i] + offsets[j]] += amps[i] * values[j]
