"""Registered snow operators: schema, severity table and sampling."""

from __future__ import annotations

import numpy as np

from degrade.operator import Operator
from degrade.ops.snow import batch, functional
from degrade.params import Param
from degrade.registry import register


@register("snow.layers")
class SnowLayers(Operator):
    """Falling snow: ``layers`` depth layers of flakes over a whitening veil (see degrade.ops.snow.functional).

    Layer k (0 nearest) is scaled by 0.55**k: flake radius ``size`` and fall streak ``motion`` shrink,
    the count grows ~ scale**-2, opacity fades to 60 %; the nearest layer is defocused. The veil
    ``T J + (1 - T) A`` with ``T = exp(-veil * d)`` over a synthetic depth whitens and flattens the scene;
    flakes take the ambient light ``airlight``. Severity rows (layers, density, size, motion, opacity, veil):

    1: 2, 0.002, 2.0, 3, 0.8, 0.1  | 2: 3, 0.004, 2.5, 5, 0.85, 0.25 | 3: 3, 0.007, 3.0, 8, 0.9, 0.4
    4: 4, 0.010, 3.5, 12, 0.95, 0.6 | 5: 4, 0.015, 4.0, 16, 1.0, 0.9; angle drawn from [-30, 30] degrees.
    """

    stochastic = True
    numpy_on_cpu = True
    schema = {
        "layers": Param(int, 1, 6, doc="number of depth layers"),
        "density": Param(float, 0.0, 0.1, doc="flakes per pixel, all layers together"),
        "size": Param(float, 0.25, 20.0, doc="flake radius of the nearest layer, pixels"),
        "motion": Param(float, 0.0, 100.0, doc="fall streak of the nearest flakes during the exposure, pixels"),
        "angle_deg": Param(float, -80.0, 80.0, doc="fall direction from vertical, degrees counter-clockwise"),
        "opacity": Param(float, 0.0, 1.0, doc="opacity of the nearest flakes"),
        "veil": Param(float, 0.0, 10.0, doc="extinction of the snow veil per unit of relative depth (0: none)"),
        "airlight": Param(float, 0.0, 1.0, doc="ambient light of veil and flakes, gray level in [0,1]"),
    }
    ranges = {"layers": [2, 4], "density": [0.002, 0.012], "size": [1.0, 3.5], "motion": [0.0, 15.0],
              "angle_deg": [-30.0, 30.0], "opacity": [0.7, 1.0], "veil": [0.0, 0.8], "airlight": [0.85, 1.0]}
    severities = {
        1: {"layers": 2, "density": 0.002, "size": 2.0, "motion": 3.0, "opacity": 0.8, "veil": 0.1},
        2: {"layers": 3, "density": 0.004, "size": 2.5, "motion": 5.0, "opacity": 0.85, "veil": 0.25},
        3: {"layers": 3, "density": 0.007, "size": 3.0, "motion": 8.0, "opacity": 0.9, "veil": 0.4},
        4: {"layers": 4, "density": 0.010, "size": 3.5, "motion": 12.0, "opacity": 0.95, "veil": 0.6},
        5: {"layers": 4, "density": 0.015, "size": 4.0, "motion": 16.0, "opacity": 1.0, "veil": 0.9},
    }

    def _apply(self, img: np.ndarray, params: dict, out: np.ndarray | None = None) -> np.ndarray:
        p = params
        return functional.snow(img, p["layers"], p["density"], p["size"], p["motion"], p["angle_deg"],
                               p["opacity"], p["veil"], p["airlight"], p["seed"], out)

    def _apply_batch(self, x, params):
        return batch.snow(x, params)
