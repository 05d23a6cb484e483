"""Registered noise operators: schemas, severity tables (ImageNet-C style) and sampling."""

from __future__ import annotations

import numpy as np

from degrade.operator import Operator
from degrade.ops.noise import batch, functional
from degrade.params import Param
from degrade.registry import register


@register("noise.gaussian")
class GaussianNoise(Operator):
    """Additive white Gaussian noise; ``sigma`` in 0-255 units as the denoising literature quotes it.

    Severity -> sigma: 1: 8, 2: 15, 3: 25, 4: 35, 5: 50.
    """

    stochastic = True
    schema = {
        "sigma": Param(float, 0.0, 255.0, doc="noise std in 0-255 units"),
        "gray": Param(bool, doc="one field shared by R, G, B (luminance-only noise)"),
    }
    ranges = {"sigma": [5.0, 50.0], "gray": False}
    severities = {1: {"sigma": 8.0}, 2: {"sigma": 15.0}, 3: {"sigma": 25.0}, 4: {"sigma": 35.0}, 5: {"sigma": 50.0}}

    def _apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        return functional.gaussian_noise(img, params["sigma"], params["gray"], params["seed"])

    def _apply_batch(self, x, params):
        return batch.gaussian_noise(x, params)
