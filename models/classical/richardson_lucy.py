"""Richardson-Lucy deconvolution (Richardson, JOSA 1972; Lucy, AJ 1974): the maximum-likelihood estimate
under Poisson noise, by the multiplicative iteration ``u <- u * (K^T * (y / (K * u)))`` from ``u = y``.

``iterations`` (30) acts as the regularizer: more sharpen more and amplify noise more. Convolutions are
circular FFTs (float32, scipy.fft) on the reflect-padded image; values are kept positive (a 1e-6 floor on the denominator).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.fft as sfft

from models.classical.deconv import Deconvolution
from models.classical.psf import otf
from restorebench.errors import InputError

FLOOR = 1e-6


class RichardsonLucy(Deconvolution):
    """Richardson-Lucy deconvolution; ``kernel`` given or estimated, ``iterations`` count."""

    defaults: ClassVar[dict[str, Any]] = {"kernel": None, "iterations": 30}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        it = self.params["iterations"]
        if not isinstance(it, int) or not 1 <= it <= 1000:
            raise InputError(f"{self.info.name}: iterations={it!r} must be an integer in [1, 1000]")

    def deconvolve(self, padded: np.ndarray, kernel: np.ndarray, found: dict) -> np.ndarray:
        shape = padded.shape[:2]
        h = otf(kernel, shape)[:, :, None].astype(np.complex64)
        conv = lambda u, k: sfft.irfft2(sfft.rfft2(u, axes=(0, 1)) * k, s=shape, axes=(0, 1))
        y = np.maximum(padded, 0.0).astype(np.float32)
        u = y.copy()
        for _ in range(self.params["iterations"]):
            u *= conv(y / np.maximum(conv(u, h), FLOOR), np.conj(h))
        return u
