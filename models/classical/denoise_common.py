"""What every sigma-driven classical method shares: the noise level, given or estimated once per image."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from models.estimate import estimate_sigma
from models.restorer import ImageRestorer
from restorebench.errors import InputError


def check_sigma(method: str, sigma: Any) -> float | None:
    """Validate a ``sigma`` option: None (estimate) or a noise std in [0, 255] (0-255 units)."""
    if sigma is not None and not (isinstance(sigma, (int, float)) and not isinstance(sigma, bool) and 0 <= sigma <= 255):
        raise InputError(f"{method}: sigma={sigma!r} must be a number in [0, 255] (0-255 units) or None")
    return None if sigma is None else float(sigma)


def sigma_of(img: np.ndarray, sigma: float | None) -> float:
    """The given noise std, or the PCA estimate of ``img`` (0-255 units)."""
    return sigma if sigma is not None else estimate_sigma(img)


class SigmaDenoiser(ImageRestorer):
    """Base of denoisers driven by the noise std ``sigma`` (0-255 units; None = PCA estimate per image)."""

    defaults: ClassVar[dict[str, Any]] = {"sigma": None}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.sigma = check_sigma(self.info.name, self.params["sigma"])

    def analyze(self, img: np.ndarray) -> dict:
        return {"sigma": sigma_of(img, self.sigma)}
