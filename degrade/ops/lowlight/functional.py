"""Low light, pure numpy: HxWx3 float32 sRGB in [0,1] -> a darker, noisier float32 sRGB image.

Model (linear light L, 1.0 = sensor full scale at the original exposure)::

    L_dark = factor * L ** gamma
    L_out  = (Poisson(L_dark * photons) + N(0, read_noise^2)) / photons     (skipped when photons is None)

so a dark capture collects ``factor`` times fewer photons than the original and its shot noise
grows relative to the signal, as in a real short exposure. The noise is ``noise.camera``'s code
(per channel, or on an RGGB mosaic then demosaicked with ``bayer``).
"""

from __future__ import annotations

import numpy as np

from degrade.color import linear_to_srgb, power_, srgb_to_linear
from degrade.ops.noise.functional import sensor_noise
from restorebench.seeding import field_rng


def darken(img: np.ndarray, factor: float, gamma: float, photons: float | None, read_noise: float,
           bayer: bool, seed: int) -> np.ndarray:
    """Darken by ``factor`` (exposure multiplier) and ``gamma`` in linear light, then add shot + read noise."""
    lin = srgb_to_linear(img)
    if gamma != 1.0:
        power_(lin, gamma)
    lin *= np.float32(factor)
    if photons is not None:
        lin = sensor_noise(lin, photons, read_noise, bayer, field_rng(seed))
    return linear_to_srgb(lin)
