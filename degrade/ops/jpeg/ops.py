"""Registered JPEG operator."""

from __future__ import annotations

import numpy as np

from degrade.operator import Operator
from degrade.ops.jpeg import batch, functional
from degrade.params import Param
from degrade.registry import register


@register("jpeg.compress")
class JpegCompress(Operator):
    """JPEG compression at ``quality`` 1..100 (IJG scale) with chroma ``subsampling`` 444 / 422 / 420.

    Severity -> quality (ImageNet-C): 1: 25, 2: 18, 3: 15, 4: 10, 5: 7 (subsampling from ``ranges``: 420).
    """

    schema = {
        "quality": Param(int, 1, 100, doc="IJG quality factor, 1 (worst) .. 100 (best)"),
        "subsampling": Param(str, choices=tuple(functional.SUBSAMPLING), doc="chroma subsampling"),
    }
    ranges = {"quality": [10, 90], "subsampling": "420"}
    clips_itself = True  # decoded levels are v / 255
    severities = {1: {"quality": 25}, 2: {"quality": 18}, 3: {"quality": 15}, 4: {"quality": 10}, 5: {"quality": 7}}

    def _apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        return functional.jpeg_compress(img, params["quality"], params["subsampling"])

    def _apply_batch(self, x, params):
        return batch.jpeg_compress(x, params)
