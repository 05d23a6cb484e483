"""JPEG, pure numpy: encode and decode one HxWx3 float32 RGB image through libjpeg (OpenCV).

The image is first quantized to 8 bits (round to nearest), as any JPEG file is; the decoded result
comes back as float32 in [0,1]. Chroma subsampling: "444" (none), "422" (half width), "420" (half
width and height, the libjpeg default).
"""

from __future__ import annotations

import cv2
import numpy as np

from restorebench.errors import InputError

SUBSAMPLING = {
    "444": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444,
    "422": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422,
    "420": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420,
}


def to_uint8(img: np.ndarray) -> np.ndarray:
    """HxWx3 float32 [0,1] -> uint8, rounded to nearest (ties to even) and saturated."""
    return cv2.convertScaleAbs(img, alpha=255.0)


def encode(img: np.ndarray, quality: int, subsampling: str) -> np.ndarray:
    """JPEG bytes (1-D uint8 array) of an HxWx3 float32 RGB image at ``quality`` 1..100."""
    bgr = cv2.cvtColor(to_uint8(img), cv2.COLOR_RGB2BGR)
    flags = [cv2.IMWRITE_JPEG_QUALITY, int(quality), cv2.IMWRITE_JPEG_SAMPLING_FACTOR, SUBSAMPLING[subsampling]]
    ok, data = cv2.imencode(".jpg", bgr, flags)
    if not ok:
        raise InputError(f"jpeg.compress: libjpeg could not encode an image of shape {img.shape}")
    return data


LEVELS = (np.arange(256, dtype=np.float32) / np.float32(255)).reshape(1, 256)
"""The float32 value of each 8-bit level, v / 255 (a lookup table: one pass from uint8 to float32)."""


def decode(data: np.ndarray) -> np.ndarray:
    """JPEG bytes -> HxWx3 float32 RGB in [0,1] (libjpeg decodes straight to RGB)."""
    return cv2.LUT(cv2.imdecode(data, cv2.IMREAD_COLOR_RGB), LEVELS)


def jpeg_compress(img: np.ndarray, quality: int, subsampling: str) -> np.ndarray:
    """Round-trip an HxWx3 float32 image through libjpeg at ``quality`` with ``subsampling``."""
    return decode(encode(img, quality, subsampling))
