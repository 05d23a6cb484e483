"""Registered low-light operator."""

from __future__ import annotations

import numpy as np

from degrade.operator import Operator
from degrade.ops.lowlight import batch, functional
from degrade.ops.noise.ops import BAYER, READ_NOISE
from degrade.params import Param
from degrade.registry import register


@register("lowlight.darken")
class Darken(Operator):
    """Under-exposure: linear-light ``factor * L ** gamma``, then shot + read noise of the dark capture.

    ``photons``: photo-electrons at full scale for the *original* exposure (the dark frame gets
    ``factor`` times fewer); None leaves the image noise-free. ``read_noise``: std in electrons.
    ``bayer``: the noise is drawn on an RGGB mosaic and demosaicked (as ``noise.camera``).
    Severity -> (factor, gamma, photons, read_noise):
    1: (0.5, 1.0, 2000, 2), 2: (0.3, 1.1, 1000, 3), 3: (0.15, 1.2, 600, 4), 4: (0.08, 1.3, 400, 5),
    5: (0.04, 1.4, 300, 6).
    """

    stochastic = True
    schema = {
        "factor": Param(float, 1e-4, 1.0, doc="exposure multiplier in linear light (0.1 = 10x darker)"),
        "gamma": Param(float, 0.2, 5.0, doc="power applied to linear light before scaling (>1 crushes shadows)"),
        "photons": Param(float, 0.1, 1e6, doc="photo-electrons at full scale of the original exposure; "
                                             "None = noise-free", optional=True),
        "read_noise": READ_NOISE,
        "bayer": BAYER,
    }
    ranges = {"factor": {"log": [0.03, 0.5]}, "gamma": [1.0, 1.5], "photons": {"log": [100.0, 3000.0]},
              "read_noise": [1.0, 6.0], "bayer": True}
    severities = {
        1: {"factor": 0.5, "gamma": 1.0, "photons": 2000.0, "read_noise": 2.0},
        2: {"factor": 0.3, "gamma": 1.1, "photons": 1000.0, "read_noise": 3.0},
        3: {"factor": 0.15, "gamma": 1.2, "photons": 600.0, "read_noise": 4.0},
        4: {"factor": 0.08, "gamma": 1.3, "photons": 400.0, "read_noise": 5.0},
        5: {"factor": 0.04, "gamma": 1.4, "photons": 300.0, "read_noise": 6.0},
    }

    def _apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        return functional.darken(img, params["factor"], params["gamma"], params.get("photons"),
                                 params["read_noise"], params["bayer"], params["seed"])

    def _apply_batch(self, x, params):
        return batch.darken(x, params)
