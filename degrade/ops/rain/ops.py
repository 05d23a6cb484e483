"""Registered rain operators: streaks (with accumulation veil) and drops on the lens."""

from __future__ import annotations

import numpy as np

from degrade.operator import Operator
from degrade.ops.rain import batch, functional
from degrade.params import Param
from degrade.registry import register
from restorebench.seeding import field_rng


@register("rain.streaks")
class RainStreaks(Operator):
    """Rain streaks in depth layers, screen-blended, with the heavy-rain accumulation veil.

    ``layers`` layers, nearest first; layer k is scaled by 0.6**k (shorter, thinner, dimmer, denser);
    all share the wind's angle; the nearest is slightly defocused. Each streak is a drop's motion
    blur during the exposure: an anti-aliased ``length`` x ``width`` line at ``angle_deg`` from vertical.
    The veil ``I = T R + (1 - T) A``, ``T = exp(-accumulation * d)`` over a synthetic depth map, follows
    Li et al. (CVPR 2019) rain accumulation. Severity rows (density, length, width, brightness, layers,
    accumulation):

    1: 0.002, 15, 1.0, 0.35, 2, 0.0  | 2: 0.004, 20, 1.2, 0.45, 2, 0.15 | 3: 0.007, 28, 1.5, 0.55, 3, 0.35
    4: 0.010, 36, 1.8, 0.65, 3, 0.6  | 5: 0.014, 45, 2.2, 0.75, 3, 0.9;  angle drawn from [-20, 20] degrees.
    """

    stochastic = True
    numpy_on_cpu = True
    schema = {
        "density": Param(float, 0.0, 0.1, doc="streaks starting per pixel, all layers together"),
        "length": Param(float, 1.0, 300.0, doc="streak length of the nearest layer, pixels"),
        "angle_deg": Param(float, -80.0, 80.0, doc="tilt from vertical, degrees counter-clockwise (>0: top leans left)"),
        "width": Param(float, 0.25, 10.0, doc="streak width of the nearest layer, pixels"),
        "brightness": Param(float, 0.0, 1.0, doc="peak opacity of the nearest streaks (screen blend)"),
        "layers": Param(int, 1, 5, doc="number of depth layers"),
        "accumulation": Param(float, 0.0, 10.0, doc="extinction of the rain veil per unit of relative depth (0: none)"),
        "airlight": Param(float, 0.0, 1.0, doc="light scattered by the veil, gray level in [0,1]"),
    }
    ranges = {"density": [0.001, 0.012], "length": [10.0, 45.0], "angle_deg": [-20.0, 20.0], "width": [0.8, 2.2],
              "brightness": [0.3, 0.8], "layers": [1, 3], "accumulation": [0.0, 0.8], "airlight": [0.7, 0.9]}
    severities = {
        1: {"density": 0.002, "length": 15.0, "width": 1.0, "brightness": 0.35, "layers": 2, "accumulation": 0.0},
        2: {"density": 0.004, "length": 20.0, "width": 1.2, "brightness": 0.45, "layers": 2, "accumulation": 0.15},
        3: {"density": 0.007, "length": 28.0, "width": 1.5, "brightness": 0.55, "layers": 3, "accumulation": 0.35},
        4: {"density": 0.010, "length": 36.0, "width": 1.8, "brightness": 0.65, "layers": 3, "accumulation": 0.6},
        5: {"density": 0.014, "length": 45.0, "width": 2.2, "brightness": 0.75, "layers": 3, "accumulation": 0.9},
    }

    def _apply(self, img: np.ndarray, params: dict, out: np.ndarray | None = None) -> np.ndarray:
        p = params
        return functional.streaks(img, p["density"], p["length"], p["angle_deg"], p["width"], p["brightness"],
                                  p["layers"], p["accumulation"], p["airlight"], p["seed"], out)

    def _apply_batch(self, x, params):
        return batch.streaks(x, params)


@register("rain.drops")
class RainDrops(Operator):
    """Raindrops on the lens or a window: each drop shows the out-of-focus scene inverted and minified.

    Drops (Poisson count ``density`` per 100x100 px, lognormal radii around ``radius`` px, irregular
    merged shapes) refract the scene blurred by a Gaussian of std ``blur`` px: a pixel at offset ``d``
    from a drop's centre shows the scene at ``-zoom * d`` (more towards the rim), the rim is darkened
    and the background around drops blends into its blurred copy. Severity rows (density, radius, blur):

    1: 0.1, 6, 1.0 | 2: 0.2, 9, 1.5 | 3: 0.3, 12, 2.0 | 4: 0.45, 16, 2.5 | 5: 0.6, 20, 3.0; zoom from [2, 4].
    """

    stochastic = True
    schema = {
        "density": Param(float, 0.0, 5.0, doc="drops per 100x100 pixels"),
        "radius": Param(float, 1.0, 200.0, doc="median drop radius, pixels"),
        "zoom": Param(float, 0.5, 10.0, doc="minification of the inverted view inside a drop"),
        "blur": Param(float, 0.0, 20.0, doc="Gaussian std of the out-of-focus scene seen through drops, pixels"),
    }
    ranges = {"density": [0.05, 0.6], "radius": [4.0, 20.0], "zoom": [2.0, 4.0], "blur": [0.5, 3.0]}
    severities = {
        1: {"density": 0.1, "radius": 6.0, "blur": 1.0},
        2: {"density": 0.2, "radius": 9.0, "blur": 1.5},
        3: {"density": 0.3, "radius": 12.0, "blur": 2.0},
        4: {"density": 0.45, "radius": 16.0, "blur": 2.5},
        5: {"density": 0.6, "radius": 20.0, "blur": 3.0},
    }

    def _apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        p = params
        return functional.drops(img, p["density"], p["radius"], p["zoom"], p["blur"], p["seed"])

    def footprint(self, h: int, w: int, params: dict) -> np.ndarray:
        """HxW float32 coverage of the drops (1 inside, a soft edge, 0 elsewhere): the pixels they replace."""
        p = self.check(params)
        return functional.drop_fields(h, w, p["density"], p["radius"], p["zoom"], field_rng(p["seed"])).alpha

    def _apply_batch(self, x, params):
        return batch.drops(x, params)
