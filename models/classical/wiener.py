"""Wiener deconvolution: ``X = conj(H) Y / (|H|^2 + NSR)`` per channel in the Fourier domain.

The noise-to-signal power ratio is ``NSR = sigma_n^2 / var(y)`` with ``sigma_n`` the given ``sigma`` (0-255) or
the PCA estimate of ``models.estimate`` (at least 0.5/255, the 8-bit quantization level, and scaled by
``NSR_SCALE`` = 10 to temper ringing, which white-spectrum NSR under-estimates at high frequencies).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.fft as sfft

from models.classical.deconv import Deconvolution
from models.classical.denoise_common import check_sigma, sigma_of
from models.classical.psf import otf

NSR_SCALE = 10.0
MIN_SIGMA = 0.5


class Wiener(Deconvolution):
    """Wiener deconvolution; ``kernel`` given or estimated, ``sigma`` noise std 0-255 (None: estimated)."""

    defaults: ClassVar[dict[str, Any]] = {"kernel": None, "sigma": None}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.sigma = check_sigma(self.info.name, self.params["sigma"])

    def analyze(self, img: np.ndarray) -> dict:
        return {**super().analyze(img), "sigma": sigma_of(img, self.sigma), "variance": float(img.var())}

    def deconvolve(self, padded: np.ndarray, kernel: np.ndarray, found: dict) -> np.ndarray:
        sigma = max(found.get("sigma", MIN_SIGMA), MIN_SIGMA) / 255.0
        nsr = NSR_SCALE * sigma ** 2 / max(found.get("variance", float(padded.var())), 1e-6)
        h = otf(kernel, padded.shape[:2])
        gain = np.conj(h) / (np.abs(h) ** 2 + nsr)
        spec = sfft.rfft2(padded.astype(np.float32), axes=(0, 1))
        return sfft.irfft2(spec * gain[:, :, None].astype(np.complex64), s=padded.shape[:2], axes=(0, 1))
