"""What the deconvolution methods share: the PSF (given or estimated once per image) and FFT framing.

The image is reflect-padded (``psf.deconv_padding``), deconvolved with circular FFT convolution, and
cropped back, so the wrap-around of the FFT falls in the padding.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from models.classical.psf import deconv_padding, estimate_kernel, kernel_from_option, pad_reflect
from models.restorer import ImageRestorer


class Deconvolution(ImageRestorer):
    """Base of non-blind/blind deconvolution: ``kernel`` option (see ``models.classical.psf``) or estimated."""

    defaults: ClassVar[dict[str, Any]] = {"kernel": None}

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.kernel = kernel_from_option(self.params["kernel"], f"{self.info.name} kernel")

    def analyze(self, img: np.ndarray) -> dict:
        return {"kernel": self.kernel if self.kernel is not None else estimate_kernel(img)}

    def deconvolve(self, padded: np.ndarray, kernel: np.ndarray, found: dict) -> np.ndarray:
        """Deconvolve a reflect-padded HxWx3 float image by ``kernel`` (circular FFT model)."""
        raise NotImplementedError

    def restore(self, img: np.ndarray, kernel: np.ndarray | None = None, **found: Any) -> np.ndarray:
        kernel = kernel if kernel is not None else self.analyze(img)["kernel"]
        if kernel.size == 1:
            return img
        pad = deconv_padding(kernel)
        h, w = img.shape[:2]
        out = self.deconvolve(pad_reflect(img, pad), kernel, found)
        return out[pad:pad + h, pad:pad + w].astype(np.float32)
