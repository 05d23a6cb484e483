"""What every sigma-driven classical denoiser shares: the noise level, given or estimated once per image."""

from __future__ import annotations

from typing import Any

import numpy as np

from models.estimate import estimate_sigma
from models.restorer import ImageRestorer
from restorebench.errors import InputError


class SigmaDenoiser(ImageRestorer):
    """Base of denoisers driven by the noise std ``sigma`` (0-255 units; None = PCA estimate per image)."""

    defaults = {"sigma": None}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        sigma = self.params["sigma"]
        if sigma is not None and not (isinstance(sigma, (int, float)) and 0 <= sigma <= 255):
            raise InputError(f"{self.info.name}: sigma={sigma!r} must be a number in [0, 255] (0-255 units) or None")

    def analyze(self, img: np.ndarray) -> dict:
        sigma = self.params["sigma"]
        return {"sigma": float(sigma) if sigma is not None else estimate_sigma(img)}
