"""Rain, pure numpy: HxWx3 float32 RGB in [0,1] in, same out (not yet clipped; Operator.apply clips).

Streaks (:func:`streaks`): several depth layers of motion-blurred drops (see
:mod:`degrade.ops.rain.particles`), screen-blended onto the scene, then the rain accumulation veil of
Li, Cheong and Tan (CVPR 2019, "Heavy Rain Image Restoration"): ``I = T (J + S) + (1 - T) A`` with the
streak image ``S`` composited by a screen blend and ``T = exp(-accumulation * d)`` over a synthetic
depth map (:func:`degrade.ops.haze.functional.synthetic_depth`).

Drops on the lens (:func:`drops`): see that function.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from degrade.kernels import gaussian_kernel, line_kernel
from degrade.ops.haze.functional import synthetic_depth, transmission_
from degrade.ops.rain.particles import (ParticleLayer, blend_gain_offset, compose, layer_shares, particle_streams,
                                       peak_normalized, render_layers, snap)

LAYER_SCALE = 0.6
"""Each farther streak layer is this factor shorter (and sqrt of it thinner) than the one before."""
LAYER_DENSITY_POWER = 1.0
"""Density share of a layer ~ scale**-power: farther layers hold more, smaller streaks."""
NEAR_DEFOCUS = 0.5
"""Defocus blur of the nearest layer (Gaussian std as a fraction of its width) when there are several layers."""
LENGTH_STEP, ANGLE_STEP, WIDTH_STEP = 1.0, 2.0, 0.25
"""Grid (pixels, degrees, pixels) on which streak kernels are built and cached (a few ms each to build)."""


@functools.lru_cache(maxsize=2048)
def streak_kernel(length: float, angle_deg: float, width: float, defocus: float) -> np.ndarray:
    """Peak-1 streak: a ``length`` x ``width`` px line tilted ``angle_deg`` from vertical (counter-clockwise),
    optionally blurred by a Gaussian of std ``defocus`` px. Cached: call with snapped values."""
    k = peak_normalized(line_kernel(length, 90.0 + angle_deg, width))
    if defocus > 0:
        k = compose(k, gaussian_kernel(defocus, defocus))
    k.setflags(write=False)
    return k


def streak_layers(density: float, length: float, angle_deg: float, width: float, brightness: float,
                  layers: int) -> list[ParticleLayer]:
    """The streak layers, nearest first: layer k has scale ``LAYER_SCALE**k`` (length x scale, width x
    sqrt(scale)), a density share ~ 1/scale and opacity ``brightness * (0.5 + 0.5 scale)``; all share
    the wind's angle. Kernels are built on the LENGTH/ANGLE/WIDTH_STEP grid."""
    scales = [LAYER_SCALE ** k for k in range(layers)]
    shares = layer_shares(scales, LAYER_DENSITY_POWER)
    angle = snap(angle_deg, ANGLE_STEP)
    out = []
    for k, s in enumerate(scales):
        wk = max(snap(width * math.sqrt(s), WIDTH_STEP), WIDTH_STEP)
        defocus = NEAR_DEFOCUS * wk if k == 0 and layers > 1 else 0.0
        kernel = streak_kernel(max(snap(length * s, LENGTH_STEP), LENGTH_STEP), angle, wk, defocus)
        out.append(ParticleLayer(kernel, density * float(shares[k]), brightness * (0.5 + 0.5 * s)))
    return out


def streaks(img: np.ndarray, density: float, length: float, angle_deg: float, width: float, brightness: float,
            layers: int, accumulation: float, airlight: float, seed: int) -> np.ndarray:
    """Rain streaks plus accumulation veil on an HxWx3 image (parameters as in ``rain.streaks``)."""
    h, w, _ = img.shape
    depth_rng, positions = particle_streams(seed)
    s = render_layers(streak_layers(density, length, angle_deg, width, brightness, layers), h, w, positions)
    np.minimum(s, 1.0, out=s)
    if accumulation > 0:
        # I = T (J (1 - S) + S) + (1 - T) A = J * gain + offset with offset = T (S - A) + A and
        # gain = T (1 - S) = T (1 - A) - offset + A, both computed in place on the 1-channel maps
        a = np.float32(airlight)
        t = transmission_(synthetic_depth(depth_rng, h, w), accumulation)
        s -= a
        s *= t
        s += a
        t *= 1 - a
        t -= s
        t += a
        gain, offset = t, s
    else:
        gain, offset = 1.0 - s, s
    return blend_gain_offset(img, gain, offset)

