"""Non-local means (Buades, Coll, Morel, CVPR 2005) through OpenCV's ``fastNlMeansDenoisingColored``.

OpenCV works on 8-bit CIELAB; its filter strength ``h`` (luminance) and ``hColor`` are set from the noise
std sigma (0-255, given or estimated) as ``h = 0.6 sigma`` and ``hColor = 0.8 sigma``: the factors that did
best on sigma 10-50 Gaussian noise of a textured Kodak crop (kodim05) among 0.4-1.3.
Patches 7x7, search window 21x21 (the paper's sizes).
"""

from __future__ import annotations

from typing import Any, ClassVar

import cv2
import numpy as np

from models.classical.denoise_common import SigmaDenoiser
from restorebench.imageio import to_uint8

H_PER_SIGMA = 0.6
H_COLOR_PER_SIGMA = 0.8


class NonLocalMeans(SigmaDenoiser):
    """OpenCV non-local means; ``sigma`` in 0-255 units (None: estimated)."""

    defaults: ClassVar[dict[str, Any]] = {"sigma": None}

    def restore(self, img: np.ndarray, sigma: float = 0.0, **found: Any) -> np.ndarray:
        if sigma <= 0:
            return img
        bgr = to_uint8(img)[:, :, ::-1].copy()
        out = cv2.fastNlMeansDenoisingColored(bgr, None, H_PER_SIGMA * sigma, H_COLOR_PER_SIGMA * sigma, 7, 21)
        return out[:, :, ::-1].astype(np.float32) / 255.0
