"""BM3D (Dabov et al., IEEE TIP 2007) through the PyPI ``bm3d`` package (Tampere University).

The package's license is non-commercial: it is an optional extra (``pip install restorebench[bm3d]``) and the
registry entry needs the academic opt-in. ``bm3d.bm3d_rgb`` runs both stages (hard thresholding, then Wiener)
in its opponent colour space with the noise std in [0,1] units (sigma/255). The permissive alternative is
``dct-denoise``.
"""

from __future__ import annotations

import importlib.util
from typing import Any, ClassVar

import numpy as np

from models.classical.denoise_common import SigmaDenoiser
from models.restorer import ModelInfo
from restorebench.errors import InputError


class BM3D(SigmaDenoiser):
    """BM3D colour denoising; ``sigma`` in 0-255 units (None: estimated)."""

    defaults: ClassVar[dict[str, Any]] = {"sigma": None}

    @classmethod
    def available(cls, info: ModelInfo) -> tuple[bool, str]:
        if importlib.util.find_spec("bm3d") is None:
            return False, "needs the optional package: pip install restorebench[bm3d] (non-commercial license)"
        return True, "bm3d package installed (non-commercial license, opted in)"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        ok, why = self.available(self.info)
        if not ok:
            raise InputError(f"{self.info.name}: {why}; or use dct-denoise")

    def restore(self, img: np.ndarray, sigma: float = 0.0, **found: Any) -> np.ndarray:
        import bm3d

        if sigma <= 0:
            return img
        return np.asarray(bm3d.bm3d_rgb(img, sigma / 255.0), dtype=np.float32)
