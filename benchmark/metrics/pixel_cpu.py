"""PSNR's error on the CPU in one pass: the protocol's quantization, colour conversion and squared-error sum
fused in a compiled loop over the float32 (or float64) batch, without float64 copies of it.

Every value is computed as :func:`benchmark.protocols.prepare` and :func:`benchmark.metrics.pixel.psnr`
compute it in float64 (same operations, same order, no fused multiply-add); only the order of the
squared-error sum differs (one running sum per column, then the columns in eight lanes, added pairwise),
which moves PSNR by about 1e-14 dB.
"""

from __future__ import annotations

import numpy as np
import torch

from benchmark.protocols import PEAK, Protocol, crop
from restorebench.jit import compiled

QUANT_CODES = {"none": 0, "round": 1, "trunc": 2}
ROUNDER = 1.5 * 2.0**52
"""(t + ROUNDER) - ROUNDER is t rounded to an integer, half to even (IEEE round-to-nearest), for |t| < 2**51."""


def mean_squared_error(pred: torch.Tensor, gt: torch.Tensor, protocol: Protocol,
                       luma: tuple[float, float, float, float] | None) -> torch.Tensor:
    """MSE per image on the 0-255 scale of unprepared CPU batches (Nx3xHxW float in [0,1]) under the
    protocol's crop and quantization, over RGB (``luma`` None) or over the luma (w_r, w_g, w_b, offset) of
    :func:`benchmark.metrics.pixel.luma`. -> N float64."""
    a, b = (_array(crop(x, protocol)) for x in (pred, gt))
    n, c, h, w = a.shape
    if luma is None and _channels_last(a) and _channels_last(b):
        a, b = (x.transpose(0, 2, 3, 1).reshape(n, 1, h, w * c) for x in (a, b))  # views: rows of W*C values
    sums = np.zeros(n)
    weights = np.array(luma if luma is not None else (PEAK, PEAK, PEAK, 0.0))
    _squared_error_sums(a, b, QUANT_CODES[protocol.quantize], luma is not None, weights, sums)
    return torch.from_numpy(sums) / (h * w * (1 if luma is not None else c))


def _channels_last(x: np.ndarray) -> bool:
    """Whether an N x C x H x W array stores each row's pixels with their channels side by side."""
    return x.strides[1] == x.itemsize and x.strides[3] == x.shape[1] * x.itemsize


def _array(x: torch.Tensor) -> np.ndarray:
    """A numpy view of a CPU tensor, float32 or float64 (other float types widened exactly to float32)."""
    x = x.detach()
    return (x if x.dtype in (torch.float32, torch.float64) else x.float()).numpy()


@compiled
def _squared_error_sums(a: np.ndarray, b: np.ndarray, quant: int, luma: bool, weights: np.ndarray,
                        out: np.ndarray) -> None:
    """out[i] = sum of squared 0-255-scale differences of image i of a and b (N x C x H x W, any strides).

    Each value is widened to float64 and quantized (``quant`` 1: round(clip(v) * 255) / 255, half to even;
    2: floor(clip(v) * 255 + 1e-3) / 255); then RGB: each channel times weights[c] (255); luma (C = 3):
    ((w0 r + w1 g) + w2 b) + weights[3]. The squares are added per column over the channels and rows
    in order, then the column sums in eight lanes, added pairwise. Unquantized RGB reads the rows directly
    (no copies), which lets the loop run at about the speed of reading both arrays.
    """

    def levels(src: np.ndarray, i: int, y: int, dst: np.ndarray) -> None:
        for ch in range(dst.shape[0]):
            row, out = src[i, ch, y], dst[ch]
            if quant == 0:
                for x in range(out.size):
                    out[x] = row[x]
            elif quant == 1:
                for x in range(out.size):
                    v = np.float64(row[x])
                    t = (0.0 if v < 0.0 else 1.0 if v > 1.0 else v) * 255.0
                    out[x] = ((t + ROUNDER) - ROUNDER) / 255.0
            else:
                for x in range(out.size):
                    v = np.float64(row[x])
                    t = (0.0 if v < 0.0 else 1.0 if v > 1.0 else v) * 255.0 + 1e-3
                    r = (t + ROUNDER) - ROUNDER
                    out[x] = (r - 1.0 if r > t else r) / 255.0

    n, c, h, w = a.shape
    w0, w1, w2, offset = weights[0], weights[1], weights[2], weights[3]
    la, lb = np.empty((c, w)), np.empty((c, w))
    acc = np.empty(w)
    for i in range(n):
        acc[:] = 0.0
        for y in range(h):
            if luma or quant != 0:
                levels(a, i, y, la)
                levels(b, i, y, lb)
            if luma:
                for x in range(w):
                    d = (((w0 * la[0, x] + w1 * la[1, x]) + w2 * la[2, x]) + offset) - (
                        ((w0 * lb[0, x] + w1 * lb[1, x]) + w2 * lb[2, x]) + offset)
                    acc[x] += d * d
            elif quant == 0:
                for p in range(c):
                    ra, rb, scale = a[i, p, y], b[i, p, y], weights[p]
                    for x in range(w):
                        d = np.float64(ra[x]) * scale - np.float64(rb[x]) * scale
                        acc[x] += d * d
            else:
                for p in range(c):
                    scale = weights[p]
                    for x in range(w):
                        d = la[p, x] * scale - lb[p, x] * scale
                        acc[x] += d * d
        s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
        x = 0
        while x + 8 <= w:
            s0 += acc[x]
            s1 += acc[x + 1]
            s2 += acc[x + 2]
            s3 += acc[x + 3]
            s4 += acc[x + 4]
            s5 += acc[x + 5]
            s6 += acc[x + 6]
            s7 += acc[x + 7]
            x += 8
        total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
        while x < w:
            total += acc[x]
            x += 1
        out[i] = total
