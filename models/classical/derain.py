"""Rain/snow streak removal by median filtering and guided-filter refinement of the rain layer.

Rain streaks are thin (1-3 px wide) structures that are brighter than their surroundings in every colour
channel (they add scattered light; screen blending). The method, after the guided-filter deraining of
Xu et al. (CSAE 2012), separates such a layer and subtracts it:
1. ``M`` = per-channel median over (2 ``radius`` + 1)^2 windows (removes structures thinner than ``radius``);
2. rain evidence ``r = min_c (I - M)``: positive only where *all* channels are brighter than the median;
3. the rain layer ``R = r * [r > threshold]`` is refined by a guided filter (guide ``r``, radius 1,
   ``eps`` 1e-4) so that the soft, anti-aliased streak borders are included;
4. ``J = I - max(R, 0)`` in every channel.
Bright, thin, achromatic image details (specular glints, white wires) are removed too; the rain veil
(accumulation haze) is not: chain ``dcp`` for it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.ndimage as ndi

from models.classical.guided import guided_filter
from models.restorer import ImageRestorer

GUIDE_RADIUS = 1
GUIDE_EPS = 1e-4


class Derain(ImageRestorer):
    """Median/guided-filter rain-streak removal; ``radius`` (pixels) of the median, ``threshold`` in [0,1] units."""

    defaults: ClassVar[dict[str, Any]] = {"radius": 3, "threshold": 0.01}

    def rain_layer(self, img: np.ndarray) -> np.ndarray:
        """The estimated rain layer, HxW float32 >= 0 (subtracted from every channel)."""
        size = 2 * self.params["radius"] + 1
        median = ndi.median_filter(img, size=(size, size, 1), mode="mirror")
        evidence = (img - median).min(axis=2).astype(np.float32)
        layer = np.where(evidence > self.params["threshold"], evidence, 0.0).astype(np.float32)
        return np.maximum(guided_filter(evidence, layer, GUIDE_RADIUS, GUIDE_EPS), 0.0)

    def restore(self, img: np.ndarray, **found: Any) -> np.ndarray:
        return img - self.rain_layer(img)[:, :, None]
