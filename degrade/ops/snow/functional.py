"""Snow, pure numpy: HxWx3 float32 RGB in [0,1] in, same out (not yet clipped; Operator.apply clips).

Flakes fall in depth layers (:mod:`degrade.ops.rain.particles`). A flake's opacity map is its disk's
pixel coverage (anti-aliased, <= 1, so sub-pixel flakes are faint), smeared along the fall direction
by its motion during the exposure (a line PSF: the fraction of the exposure each pixel is covered),
and, for the nearest layer, defocused. Farther layers: smaller, slower in the image, more numerous
(density ~ scale**-2), dimmer. The scene behind is veiled by the scattering model
``T J + (1 - T) A`` (:func:`degrade.ops.haze.functional.synthetic_transmission`): the
whitening and contrast loss of falling snow. Flakes take the ambient light ``A``:

    I = J T (1 - a) + A (1 - T (1 - a)),   a = min(1, sum of flake opacities)
"""

from __future__ import annotations

import functools
import math

import numpy as np

from degrade.kernels import disk_kernel, gaussian_kernel, line_kernel
from degrade.ops.haze.functional import synthetic_transmission
from degrade.ops.rain.particles import (
    ParticleLayer,
    compose,
    layer_schedule,
    particle_field,
    render_layers,
    snap,
    veil_blend,
)

LAYER_SCALE = 0.55
"""Each farther flake layer is this factor smaller (radius, motion) than the one before."""
LAYER_DENSITY_POWER = 2.0
"""Density share of a layer ~ scale**-power: the visible volume grows with distance squared."""
NEAR_DEFOCUS = 0.6
"""Defocus of the nearest layer (Gaussian std as a fraction of its flake radius) when there are several layers."""
MOTION_PSF_WIDTH = 0.25
"""Width (pixels) of the line PSF of a flake's motion; the flake's own disk gives the streak its width."""
RADIUS_STEP, MOTION_STEP, ANGLE_STEP = 0.25, 1.0, 2.0
"""Grid (pixels, pixels, degrees) on which flake kernels are built and cached."""


@functools.lru_cache(maxsize=2048)
def flake_kernel(radius: float, motion: float, angle_deg: float, defocus: float) -> np.ndarray:
    """Opacity map of one flake: a disk of ``radius`` px (pixel coverage), moved ``motion`` px at
    ``angle_deg`` from vertical (counter-clockwise) during the exposure, blurred by a Gaussian of std
    ``defocus`` px. Float32, odd sides, values in [0, 1]. Cached: call with snapped values."""
    k = disk_kernel(radius) * np.float32(math.pi * radius * radius)
    if motion > 0:
        k = compose(k, line_kernel(motion, 90.0 + angle_deg, MOTION_PSF_WIDTH))
    if defocus > 0:
        k = compose(k, gaussian_kernel(defocus, defocus))
    k = np.minimum(k, 1.0).astype(np.float32)
    k.setflags(write=False)
    return k


def flake_layers(density: float, size: float, motion: float, angle_deg: float, opacity: float,
                 layers: int) -> list[ParticleLayer]:
    """The flake layers, nearest first: layer k has scale ``LAYER_SCALE**k`` (radius and motion x scale),
    density share ~ scale**-2 and opacity ``opacity * (0.6 + 0.4 scale)``."""
    angle = snap(angle_deg, ANGLE_STEP)
    out = []
    for k, (s, share) in enumerate(layer_schedule(layers, LAYER_SCALE, LAYER_DENSITY_POWER)):
        radius = max(snap(size * s, RADIUS_STEP), RADIUS_STEP)
        defocus = NEAR_DEFOCUS * radius if k == 0 and layers > 1 else 0.0
        kernel = flake_kernel(radius, snap(motion * s, MOTION_STEP), angle, defocus)
        out.append(ParticleLayer(kernel, density * share, opacity * (0.6 + 0.4 * s)))
    return out


def snow(img: np.ndarray, layers: int, density: float, size: float, motion: float, angle_deg: float,
         opacity: float, veil: float, airlight: float, seed: int, out: np.ndarray | None = None) -> np.ndarray:
    """Falling snow over a veil on an HxWx3 image (parameters as in ``snow.layers``); written into ``out``
    (HxWx3 float32, any strides) when given."""
    h, w, _ = img.shape
    depth, positions = particle_field(seed)
    a = render_layers(flake_layers(density, size, motion, angle_deg, opacity, layers), h, w, positions)
    t = synthetic_transmission(depth, h, w, veil) if veil > 0 else None
    # I = T (J (1 - a) + A a) + (1 - T) A: flakes take the ambient light's colour, then the veil
    return veil_blend(img, a, t, airlight, airlight, out)
