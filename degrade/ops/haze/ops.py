"""Registered haze operators: schema, severity table and sampling."""

from __future__ import annotations

import numpy as np

from degrade.operator import Operator
from degrade.ops.haze import batch, functional
from degrade.params import Param
from degrade.registry import register
from restorebench.seeding import field_rng

SPACES = ("srgb", "linear")


@register("haze.atmospheric")
class AtmosphericHaze(Operator):
    """Homogeneous haze/fog by the atmospheric scattering model ``I = J t + A (1 - t)``, ``t = exp(-beta d)``.

    Applied to sRGB code values by default, as RESIDE/SOTS synthesize haze; ``space="linear"`` applies
    it to linear light. ``d`` is relative depth (0 near .. 1 farthest): the ``depth`` file when given,
    else a synthetic map drawn from ``seed`` (ground-plane gradient, top farther, plus a smooth random
    field; range [0.1, 1]). ``beta`` is the extinction per unit of that depth, so the farthest point
    keeps ``exp(-beta)`` of its light.

    Severity -> beta: 1: 0.4 (t_far 0.67), 2: 0.8 (0.45), 3: 1.3 (0.27), 4: 2.0 (0.14), 5: 3.0 (0.05);
    airlight drawn from [0.7, 1.0], tint from [-0.05, 0.1].
    """

    stochastic = True
    schema = {
        "beta": Param(float, 0.0, 100.0, doc="extinction coefficient per unit of relative depth (1 = farthest point)"),
        "airlight": Param(float, 0.0, 1.0, doc="atmospheric light A, gray level as an sRGB code value in [0,1]"),
        "tint": Param(float, -0.5, 0.5, doc="airlight colour: A = airlight*(1-tint, 1, 1+tint) in R,G,B (>0 bluish)"),
        "space": Param(str, choices=SPACES, doc="apply the model to sRGB code values (RESIDE) or to linear light"),
        "depth": Param(str, optional=True, doc="path of a .npy/.png relative depth map (0 near .. 1 far); "
                                               "None: synthetic depth from seed"),
    }
    ranges = {"beta": [0.3, 3.0], "airlight": [0.7, 1.0], "tint": [-0.05, 0.1], "space": "srgb"}
    severities = {1: {"beta": 0.4}, 2: {"beta": 0.8}, 3: {"beta": 1.3}, 4: {"beta": 2.0}, 5: {"beta": 3.0}}

    def _apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        return functional.atmospheric(img, params["beta"], params["airlight"], params["tint"], params["space"],
                                      params.get("depth"), field_rng(params["seed"]))

    def _apply_batch(self, x, params):
        return batch.atmospheric(x, params)
