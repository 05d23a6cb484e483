"""Dark channel prior dehazing (He, Sun, Tang, CVPR 2009 / TPAMI 2011) with guided-filter refinement.

Haze model ``I = J t + A (1 - t)``. Steps, with the paper's constants:
1. dark channel: per-pixel minimum over RGB, then a minimum filter over ``patch`` x ``patch`` (15);
2. airlight A: among the 0.1 % pixels with the brightest dark channel, the input colour of highest intensity;
3. transmission ``t = 1 - omega * dark(I / A)`` with ``omega`` = 0.95 (keeps a trace of haze for depth);
4. refinement by the guided filter (guide: the gray input, ``radius`` 40, ``eps`` 1e-3), replacing soft matting
   as in the guided-filter paper;
5. ``J = (I - A) / max(t, t0) + A`` with ``t0`` = 0.1.
A is global: it is estimated once on the whole image before any tiling.
"""

from __future__ import annotations

from typing import Any, ClassVar

import cv2
import numpy as np

from models.classical.guided import guided_filter
from models.restorer import ImageRestorer

BRIGHTEST_FRACTION = 0.001


def dark_channel(img: np.ndarray, patch: int) -> np.ndarray:
    """Minimum over channels and a ``patch`` x ``patch`` window: HxWx3 -> HxW float32."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (patch, patch))
    return cv2.erode(img.min(axis=2), kernel, borderType=cv2.BORDER_REFLECT_101)


def airlight(img: np.ndarray, dark: np.ndarray) -> np.ndarray:
    """Atmospheric light (3,) from the brightest 0.1 % of the dark channel (He et al., section 4.4)."""
    flat = dark.ravel()
    n = max(1, round(flat.size * BRIGHTEST_FRACTION))
    idx = np.argpartition(flat, -n)[-n:]
    cand = img.reshape(-1, 3)[idx]
    return cand[np.argmax(cand.sum(axis=1))].astype(np.float32)


class DarkChannelPrior(ImageRestorer):
    """Single-image dehazing by the dark channel prior; options as in the module docstring."""

    defaults: ClassVar[dict[str, Any]] = {"patch": 15, "omega": 0.95, "t0": 0.1, "radius": 40, "eps": 1e-3}

    def analyze(self, img: np.ndarray) -> dict:
        return {"airlight": airlight(img, dark_channel(img, self.params["patch"]))}

    def restore(self, img: np.ndarray, airlight: np.ndarray | None = None, **found: Any) -> np.ndarray:
        p = self.params
        a = airlight if airlight is not None else self.analyze(img)["airlight"]
        a = np.maximum(a, 1e-3)
        t = 1.0 - p["omega"] * dark_channel(img / a, p["patch"])
        gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        t = guided_filter(gray, t.astype(np.float32), p["radius"], p["eps"])
        t = np.maximum(t, p["t0"])[:, :, None]
        return (img - a) / t + a
