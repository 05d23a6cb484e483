"""Resize, pure numpy: separable resampling with MATLAB ``imresize`` semantics.

For an output pixel ``i`` (1-based) and scale ``s = out/in`` the source position is
``u = i/s + 0.5*(1 - 1/s)``; the taps are the input pixels within half the kernel width of ``u``,
weighted by the kernel, normalised to sum 1; out-of-range taps mirror (symmetric padding). When
shrinking with ``antialias`` the kernel is stretched by ``1/s`` (``h(x) = s*k(s*x)``), which is
what makes MATLAB's bicubic free of aliasing. Kernels: bicubic (Keys, a = -0.5, width 4),
bilinear (triangle, width 2), area (box, width 1; stretched it averages the covered pixels).
The contributions (tap indices and weights) are computed once per axis, as a sparse matrix, and
shared by the batch path (in dense form).

An axis is resampled as one sparse matrix product (CSR, float32) over the image viewed as
``in_len x (other pixels * channels)``, by a compiled loop that adds the taps of each output row in
order (scipy's CSR product, same bits, in vector instructions); columns are brought to the front with
``cv2.transpose``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import cv2
import numpy as np
import scipy.sparse

from restorebench.jit import compiled

CUBIC_A = -0.5
"""Keys cubic convolution parameter used by MATLAB's imresize (OpenCV and PyTorch use -0.75)."""


def cubic(x: np.ndarray) -> np.ndarray:
    """Keys cubic kernel with a = -0.5, support [-2, 2]."""
    a = CUBIC_A
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    near = ((a + 2) * ax3 - (a + 3) * ax2 + 1) * (ax <= 1)
    far = (a * ax3 - 5 * a * ax2 + 8 * a * ax - 4 * a) * ((ax > 1) & (ax <= 2))
    return near + far


def triangle(x: np.ndarray) -> np.ndarray:
    """Linear interpolation kernel, support [-1, 1]."""
    return np.maximum(0.0, 1.0 - np.abs(x))


def box(x: np.ndarray) -> np.ndarray:
    """Box kernel on [-0.5, 0.5) (MATLAB's convention at the edges)."""
    return ((x >= -0.5) & (x < 0.5)).astype(np.float64)


KERNELS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], float]] = {
    "bicubic": (cubic, 4.0),
    "bilinear": (triangle, 2.0),
    "area": (box, 1.0),
}
"""name -> (kernel function, support width in input pixels at scale 1)."""


def output_length(in_len: int, factor: float) -> int:
    """Output side when shrinking ``in_len`` pixels by ``factor`` (MATLAB: ceil(in_len / factor))."""
    return max(1, math.ceil(in_len / factor - 1e-9))


@functools.lru_cache(maxsize=64)
def axis_matrix(in_len: int, out_len: int, scale: float, kernel: str, antialias: bool) -> scipy.sparse.csr_matrix:
    """MATLAB's contributions of one resampled axis as an (out_len, in_len) float32 CSR matrix: row ``i``
    holds the normalised kernel weights of output ``i`` at its (mirrored) taps. Cached: a corpus resizes
    many images of the same size."""
    fn, width = KERNELS[kernel]
    stretch = scale < 1 and antialias

    def h(t: np.ndarray) -> np.ndarray:
        return scale * fn(scale * t) if stretch else fn(t)

    if stretch:
        width = width / scale
    u = np.arange(1, out_len + 1, dtype=np.float64) / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    taps = math.ceil(width) + 2
    idx = left[:, None] + np.arange(taps)[None, :]
    w = h(u[:, None] - idx)
    w /= w.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(in_len), np.arange(in_len - 1, -1, -1)])
    idx = mirror[np.mod(idx.astype(np.int64) - 1, 2 * in_len)]
    keep = np.any(w != 0, axis=0)
    idx, w = idx[:, keep], w[:, keep].astype(np.float32)
    rows = np.repeat(np.arange(out_len), idx.shape[1])
    return scipy.sparse.csr_matrix((w.ravel(), (rows, idx.ravel())), shape=(out_len, in_len), dtype=np.float32)


def resample_axis(img: np.ndarray, axis: int, matrix: scipy.sparse.csr_matrix) -> np.ndarray:
    """Resample an HxWxC float32 ``img`` along ``axis`` (0 rows, 1 columns) with an :func:`axis_matrix`."""
    src = img if axis == 0 else cv2.transpose(img).reshape(img.shape[1], img.shape[0], -1)
    out = np.empty((matrix.shape[0], *src.shape[1:]), np.float32)
    _csr_product(matrix.indptr, matrix.indices, matrix.data, src.reshape(src.shape[0], -1),
                 out.reshape(out.shape[0], -1))
    return out if axis == 0 else cv2.transpose(out).reshape(img.shape[0], out.shape[0], -1)


@compiled
def _csr_product(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, src: np.ndarray,
                 out: np.ndarray) -> None:
    """out = M @ src for the CSR matrix M (indptr, indices, data), src (in_len, K), out (out_len, K) float32:
    each output row starts at 0 and adds ``data[jj] * src[indices[jj]]`` for its entries in order."""
    for i in range(out.shape[0]):
        row = out[i]
        row[:] = 0.0
        for jj in range(indptr[i], indptr[i + 1]):
            a, taps = data[jj], src[indices[jj]]
            for k in range(row.size):
                row[k] += a * taps[k]


def resize(img: np.ndarray, out_h: int, out_w: int, kernel: str, antialias: bool,
           scale: float | None = None) -> np.ndarray:
    """Resize an HxWxC float32 image to ``out_h`` x ``out_w`` (rows first, then columns, as MATLAB).

    ``scale`` (output/input) is MATLAB's ``imresize(A, scale)``; None uses each axis' size ratio,
    as ``imresize(A, [out_h out_w])`` does.
    """
    h, w = img.shape[:2]
    out = img
    if out_h != h:
        out = resample_axis(out, 0, axis_matrix(h, out_h, scale or out_h / h, kernel, antialias))
    if out_w != w:
        out = resample_axis(out, 1, axis_matrix(w, out_w, scale or out_w / w, kernel, antialias))
    return np.ascontiguousarray(out) if out is not img else img.copy()


def downsample(img: np.ndarray, factor: float, kernel: str, antialias: bool, upsample_back: bool) -> np.ndarray:
    """Shrink an HxWx3 float32 image by ``factor`` (>= 1) as MATLAB's ``imresize(img, 1/factor)``.

    ``upsample_back`` resizes the result back to HxW (``imresize(small, [H W])``).
    """
    h, w = img.shape[:2]
    small = resize(img, output_length(h, factor), output_length(w, factor), kernel, antialias, 1 / factor)
    return resize(small, h, w, kernel, antialias) if upsample_back else small


def resize_matrix(in_len: int, out_len: int, scale: float, kernel: str, antialias: bool) -> np.ndarray:
    """The (out_len, in_len) float32 matrix of one resampled axis (dense form of :func:`axis_matrix`)."""
    return axis_matrix(in_len, out_len, scale, kernel, antialias).toarray()
