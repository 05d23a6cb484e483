"""Convolution shared by blur, rain, snow and haze: one numpy path and one batched torch path.

Both convolve (kernel flipped, true convolution) with reflect-101 borders (``cv2.BORDER_REFLECT_101``
== torch ``reflect``). A CPU batch takes the numpy route plane by plane (the same bits); other devices
convolve by FFT, which agrees to float32 rounding (~1e-6).
Kernels are 2-D float arrays with odd sides; images HxWxC (numpy) or NxCxHxW (torch).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from degrade.clamp import clamp_unit
from degrade.correlate import correlate_plan, tap_plan
from degrade.cpu_batch import map_planes, takes_numpy_path
from degrade.separable import correlate_separable
from restorebench.jit import compiled

SMALL_KERNEL = 49
"""Kernels of at most this many entries (7x7) take ``cv2.filter2D``'s direct route: for them the compiled
route's padded copy and extra passes cost more than they save."""

TAPS_MAX = 400
"""Most input reads per output value (``TapPlan.loads``) for the compiled route; beyond, OpenCV's DFT
is faster."""


def convolve(img: np.ndarray, kernel: np.ndarray, clip: bool = False) -> np.ndarray:
    """Convolve every channel of an HxWxC float32 image with a 2-D kernel (odd sides), reflect-101 borders.

    Routes, all exact to float32 rounding: rank one (axis-aligned Gaussians, boxes, straight lines), the
    compiled two-pass correlation of :mod:`degrade.separable`; small kernels, ``cv2.filter2D`` direct;
    otherwise, up to TAPS_MAX reads per value, the compiled tap correlation of :mod:`degrade.correlate`
    (disks summed as vertical runs); else ``cv2.filter2D``'s DFT. ``clip`` clamps the result to [0,1].
    Returns a new HxWxC float32 array.
    """
    k = np.ascontiguousarray(kernel[::-1, ::-1], dtype=np.float32)
    route, how = _route(k.shape, k.tobytes())
    if route == "taps" and k.shape[0] // 2 < img.shape[0] and k.shape[1] // 2 < img.shape[1]:
        return correlate_plan(img, how, clip)
    if route == "separable":
        return correlate_separable(img, *how, clip)
    out = cv2.filter2D(img, -1, k, borderType=cv2.BORDER_REFLECT_101).reshape(img.shape)
    return clamp_unit(out) if clip else out


def convolve_separable(img: np.ndarray, column: np.ndarray, row: np.ndarray, clip: bool = False) -> np.ndarray:
    """:func:`convolve` with the rank-one kernel ``outer(column, row)`` given by its float32 factors
    (odd lengths): two 1-D passes, reflect-101 borders. Returns a new HxWxC float32 array."""
    return correlate_separable(img, column[::-1].copy(), row[::-1].copy(), clip)


@functools.lru_cache(maxsize=256)
def _route(shape: tuple[int, int], data: bytes) -> tuple[str, Any]:
    """How :func:`convolve` applies the correlation kernel of ``shape`` with float32 ``data`` (cached:
    fixed kernels such as disks and Gaussians come back call after call): ("direct", None),
    ("separable", (column, row)), ("taps", TapPlan) or ("dft", None)."""
    k = np.frombuffer(data, np.float32).reshape(shape)
    if k.size <= SMALL_KERNEL:
        return "direct", None
    if (factors := _rank_one(k)) is not None:
        return "separable", factors
    plan = tap_plan(k)
    return ("taps", plan) if plan.loads <= TAPS_MAX else ("dft", None)


def _rank_one(k: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(column, row) float32 factors with ``outer(column, row) == k`` to float32 precision, or None."""
    u, s, vt = np.linalg.svd(k.astype(np.float64))
    if s[1] > 1e-7 * s[0]:
        return None
    return (u[:, 0] * np.sqrt(s[0])).astype(np.float32), (vt[0] * np.sqrt(s[0])).astype(np.float32)


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


def convolve_batch(x: Any, kernels: Sequence[np.ndarray]) -> Any:
    """Per-sample convolution with reflect-101 borders: x (N,C,H,W) torch, ``kernels[i]`` the odd-sided 2-D float
    kernel of sample i -> (N,C,H,W) of x's dtype.

    On the CPU every plane takes :func:`convolve`'s route (:func:`degrade.cpu_batch.map_planes`): the numpy
    path's bits. On other devices, :func:`convolve_batch_fft`.
    """
    if takes_numpy_path(x):
        return map_planes(x, lambda i, plane: convolve(plane, kernels[i]))
    return convolve_batch_fft(x, kernels)


def convolve_batch_fft(x: Any, kernels: Sequence[np.ndarray]) -> Any:
    """:func:`convolve_batch` by FFT on x's device: the reflect-padded batch and the kernels (zero-padded to a
    common size) through rfft2, multiplied, irfft2, on a grid of :func:`fft_size` whose cost does not grow with
    the kernel size (long motion kernels are cheap on a GPU). Agrees with :func:`convolve` to float32 rounding."""
    import torch

    h, w = x.shape[-2:]
    k = torch.from_numpy(pad_kernels(list(kernels))).to(x.device)[:, None]
    r = k.shape[-1] // 2
    xp = _pad_reflect(x.float(), r, r)
    # any grid at least as large as the padded image gives the same crop: take one whose FFT is fast
    grid = (fft_size(xp.shape[-2]), fft_size(xp.shape[-1]))
    y = torch.fft.irfft2(torch.fft.rfft2(xp, s=grid) * torch.fft.rfft2(k, s=grid), s=grid)
    return y[..., 2 * r:2 * r + h, 2 * r:2 * r + w].to(x.dtype)


def _pad_reflect(x: Any, ry: int, rx: int) -> Any:
    """x (N,C,H,W) padded by ``ry`` rows and ``rx`` columns on each side, reflect-101 (replicated where the
    image is not larger than the padding: torch cannot reflect that far)."""
    import torch.nn.functional as F

    h, w = x.shape[-2:]
    return F.pad(x, (rx, rx, ry, ry), mode="replicate" if ry >= h or rx >= w else "reflect")


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
