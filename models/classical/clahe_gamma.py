"""Low-light enhancement by an automatic gamma followed by CLAHE (Zuiderveld, Graphics Gems IV, 1994).

1. Gamma on CIELAB lightness: ``L* <- 100 * (L*/100) ** g`` with ``g = log(target_mean) / log(mean(L*)/100)``,
   which maps the mean lightness to ``target_mean`` (0.45 by default) and leaves brighter images alone
   (``g`` is capped at 1).
2. Contrast-limited adaptive histogram equalization of L* (OpenCV, 16-bit, ``grid`` x ``grid`` tiles,
   ``clip_limit`` as OpenCV defines it). a*, b* are kept, so hues do not shift.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import cv2
import numpy as np

from models.restorer import ImageRestorer


class ClaheGamma(ImageRestorer):
    """Gamma to a target mean lightness, then CLAHE on L*; options as in the module docstring."""

    defaults: ClassVar[dict[str, Any]] = {"clip_limit": 2.0, "grid": 8, "target_mean": 0.45}

    def restore(self, img: np.ndarray, **found: Any) -> np.ndarray:
        p = self.params
        lab = cv2.cvtColor(img, cv2.COLOR_RGB2Lab)
        light = np.clip(lab[:, :, 0] / 100.0, 0.0, 1.0)
        mean = float(np.clip(light.mean(), 1e-3, 0.999))
        g = min(1.0, math.log(p["target_mean"]) / math.log(mean))
        light = light ** g
        clahe = cv2.createCLAHE(clipLimit=p["clip_limit"], tileGridSize=(p["grid"], p["grid"]))
        lab[:, :, 0] = clahe.apply(np.round(light * 65535.0).astype(np.uint16)).astype(np.float32) * (100.0 / 65535.0)
        return cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)
