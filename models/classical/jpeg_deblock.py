"""JPEG artifact removal by re-application of JPEG at every shift (Nosratinia, "Enhancement of JPEG-Compressed
Images by Re-application of JPEG", J. VLSI Signal Processing 2001) plus a quantization-constraint projection.

1. The decoded image is taken to JPEG's YCbCr (BT.601 full range, 0-255).
2. Quality: given (IJG 1..100) or estimated. The estimator reads the aligned 8x8 DCT coefficients of Y: a
   coefficient quantized with step q lies on the lattice q*Z (up to pixel rounding); for each IJG quality the
   mean squared distance to the lattice of that quality's luminance table (in steps, over coefficients with
   |c| above 4 and above half a step) is computed, and the quality of least error is taken (none under
   ``LATTICE_FIT``: the image is returned unchanged).
3. Every one of the 64 shifted 8x8 grids is re-quantized with that quality's table (luminance for Y,
   chrominance for Cb/Cr) and the de-quantized results are averaged (``dct.sliding_shrink``): blocking and
   ringing, which are not shift-invariant, average out while the image content, which survives
   re-quantization at every shift, stays.
4. Quantization constraint set (Zakhor 1992) on Y: on the original grid, each DCT coefficient of the result is
   clipped into the quantization cell ``[q (k - 1/2), q (k + 1/2)]`` of the decoded coefficient ``q k``, so the
   output would compress to the same JPEG data. Chroma is left unconstrained (its grid depends on the
   unknown subsampling).
Sides must be multiples of 8 (registry ``size_multiple: 8``; the Restorer pads bottom/right like JPEG does).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from models.classical.dct import block_dct, block_idct, sliding_shrink
from models.restorer import ImageRestorer
from restorebench.errors import InputError

LUMA_TABLE = np.array([
    [16, 11, 10, 16, 24, 40, 51, 61], [12, 12, 14, 19, 26, 58, 60, 55], [14, 13, 16, 24, 40, 57, 69, 56],
    [14, 17, 22, 29, 51, 87, 80, 62], [18, 22, 37, 56, 68, 109, 103, 77], [24, 35, 55, 64, 81, 104, 113, 92],
    [49, 64, 78, 87, 103, 121, 120, 101], [72, 92, 95, 98, 112, 100, 103, 99]], np.float32)
"""ITU-T T.81 Annex K luminance quantization table (quality 50)."""
CHROMA_TABLE = np.array([
    [17, 18, 24, 47, 99, 99, 99, 99], [18, 21, 26, 66, 99, 99, 99, 99], [24, 26, 56, 99, 99, 99, 99, 99],
    [47, 66, 99, 99, 99, 99, 99, 99]] + [[99] * 8] * 4, np.float32)
"""ITU-T T.81 Annex K chrominance quantization table (quality 50)."""
YCBCR = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]], np.float32)
LATTICE_FIT = 0.03
"""Largest mean squared lattice distance (in quantization steps) accepted as a fit (uniform: 1/12)."""
MIN_COEF = 4.0
"""Coefficients smaller than this (0-255 units) or than half a step are too close to 0 to test the lattice."""


def ijg_table(base: np.ndarray, quality: int) -> np.ndarray:
    """The IJG (libjpeg) quantization table of ``quality`` 1..100 scaled from an Annex K base table."""
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return np.clip(np.floor((base * scale + 50) / 100), 1, 255).astype(np.float32)


def estimate_quality(y255: np.ndarray) -> int:
    """IJG quality whose luminance table fits the aligned DCT coefficients of Y (0-255, sides multiple of 8).

    100 (leave the image alone) when no table fits: not JPEG, or quality too high to tell.
    """
    coef = block_dct(y255 - 128.0).reshape(-1, 64)[:, 1:]
    best, best_err = 100, LATTICE_FIT
    for quality in range(1, 100):
        q = ijg_table(LUMA_TABLE, quality).reshape(64)[1:]
        big = np.abs(coef) > np.maximum(MIN_COEF, q / 2)
        if big.sum() < 64:
            continue
        c = coef[big] / np.broadcast_to(q, coef.shape)[big]
        err = float(np.mean((c - np.round(c)) ** 2))
        if err < best_err:
            best, best_err = quality, err
    return best


def requantize(table: np.ndarray):
    """A shrink function quantizing then de-quantizing (b, b, ...) coefficient maps with ``table``."""
    t = table[:, :, None, None]
    return lambda coef: np.round(coef / t) * t


def constrain(y_out: np.ndarray, y_in: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Clip the aligned DCT coefficients of ``y_out`` into the quantization cells of ``y_in``'s (0-255 Y)."""
    c_in = block_dct(y_in)
    centre = np.round(c_in / table) * table
    c_out = np.clip(block_dct(y_out), centre - table / 2, centre + table / 2)
    return block_idct(c_out)


class JPEGDeblock(ImageRestorer):
    """JPEG deblocking by shift-averaged re-quantization and QCS; ``quality`` (1..100) or None (estimated)."""

    defaults: ClassVar[dict[str, Any]] = {"quality": None}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        q = self.params["quality"]
        if q is not None and (not isinstance(q, int) or not 1 <= q <= 100):
            raise InputError(f"{self.info.name}: quality={q!r} must be an integer in [1, 100] or None")

    def analyze(self, img: np.ndarray) -> dict:
        q = self.params["quality"]
        if q is not None:
            return {"quality": q}
        h, w = (img.shape[0] // 8) * 8, (img.shape[1] // 8) * 8
        y = img[:h, :w] @ (255.0 * YCBCR[0])
        return {"quality": estimate_quality(y.astype(np.float32))}

    def restore(self, img: np.ndarray, quality: int | None = None, **found: Any) -> np.ndarray:
        quality = quality if quality is not None else self.analyze(img)["quality"]
        if quality >= 100:
            return img
        ycc = img @ (255.0 * YCBCR.T)
        luma, chroma = ijg_table(LUMA_TABLE, quality), ijg_table(CHROMA_TABLE, quality)
        out = np.stack([sliding_shrink(ycc[:, :, c], requantize(luma if c == 0 else chroma)) for c in range(3)], 2)
        h, w = (img.shape[0] // 8) * 8, (img.shape[1] // 8) * 8
        out[:h, :w, 0] = constrain(out[:h, :w, 0], ycc[:h, :w, 0], luma)
        return out @ np.linalg.inv(255.0 * YCBCR).T.astype(np.float32)
