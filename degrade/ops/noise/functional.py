"""Noise, pure numpy: HxWx3 float32 RGB in [0,1] in, same out (not yet clipped; Operator.apply clips)."""

from __future__ import annotations

import numpy as np

from restorebench.seeding import field_rng


def gaussian_noise(img: np.ndarray, sigma: float, gray: bool, seed: int) -> np.ndarray:
    """Add zero-mean Gaussian noise of std ``sigma`` (0-255 units); ``gray`` shares one field across channels."""
    h, w, _ = img.shape
    field = field_rng(seed).standard_normal((h, w, 1 if gray else 3), dtype=np.float32)
    field *= np.float32(sigma / 255.0)
    return img + field
