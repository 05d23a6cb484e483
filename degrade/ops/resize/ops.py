"""Registered resize operator."""

from __future__ import annotations

import numpy as np

from degrade.operator import Operator
from degrade.ops.resize import batch, functional
from degrade.params import Param
from degrade.registry import register


@register("resize.down")
class Downsample(Operator):
    """Downsampling by ``factor`` (MATLAB ``imresize(img, 1/factor)``), optionally resized back to the input size.

    ``kernel``: bicubic (MATLAB, a = -0.5), bilinear or area; ``antialias`` stretches bicubic/bilinear
    when shrinking (MATLAB's default; off gives the aliased resize of OpenCV/PyTorch pipelines).
    Output side: ``ceil(side / factor)``, or the input size with ``upsample_back`` (the default range,
    so chains and paired corpora keep their size; set it False for super-resolution inputs).
    Severity -> factor: 1: 1.5, 2: 2, 3: 3, 4: 4, 5: 6.
    """

    schema = {
        "factor": Param(float, 1.0, 32.0, doc="downsampling factor (2 = half width and height)"),
        "kernel": Param(str, choices=tuple(functional.KERNELS), doc="interpolation kernel"),
        "antialias": Param(bool, doc="stretch the kernel when shrinking (MATLAB imresize default)"),
        "upsample_back": Param(bool, doc="resize the result back to the input size with the same kernel"),
    }
    ranges = {"factor": {"choice": [2.0, 3.0, 4.0]}, "kernel": "bicubic", "antialias": True, "upsample_back": True}
    severities = {1: {"factor": 1.5}, 2: {"factor": 2.0}, 3: {"factor": 3.0}, 4: {"factor": 4.0}, 5: {"factor": 6.0}}

    def _apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        return functional.downsample(img, params["factor"], params["kernel"], params["antialias"],
                                     params["upsample_back"])

    def _apply_batch(self, x, params):
        return batch.downsample(x, params)
