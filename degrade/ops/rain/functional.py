"""Rain, pure numpy: HxWx3 float32 RGB in [0,1] in, same out (not yet clipped; Operator.apply clips).

Streaks (:func:`streaks`): several depth layers of motion-blurred drops (see
:mod:`degrade.ops.rain.particles`), screen-blended onto the scene, then the rain accumulation veil of
Li, Cheong and Tan (CVPR 2019, "Heavy Rain Image Restoration"): ``I = T (J + S) + (1 - T) A`` with the
streak image ``S`` composited by a screen blend and ``T = exp(-accumulation * d)`` over a synthetic
depth map (:func:`degrade.ops.haze.functional.synthetic_transmission`).

Drops on the lens (:func:`drops`): see that function.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from degrade.filtering import convolve
from degrade.kernels import gaussian_kernel, line_kernel
from degrade.ops.haze.functional import synthetic_transmission
from degrade.ops.rain.particles import (
    ParticleLayer,
    compose,
    layer_schedule,
    particle_field,
    peak_normalized,
    render_layers,
    snap,
    veil_blend,
)
from restorebench.seeding import field_rng

LAYER_SCALE = 0.6
"""Each farther streak layer is this factor shorter (and sqrt of it thinner) than the one before."""
LAYER_DENSITY_POWER = 1.0
"""Density share of a layer ~ scale**-power: farther layers hold more, smaller streaks."""
NEAR_DEFOCUS = 0.35
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
    angle = snap(angle_deg, ANGLE_STEP)
    out = []
    for k, (s, share) in enumerate(layer_schedule(layers, LAYER_SCALE, LAYER_DENSITY_POWER)):
        wk = max(snap(width * math.sqrt(s), WIDTH_STEP), WIDTH_STEP)
        defocus = NEAR_DEFOCUS * wk if k == 0 and layers > 1 else 0.0
        kernel = streak_kernel(max(snap(length * s, LENGTH_STEP), LENGTH_STEP), angle, wk, defocus)
        out.append(ParticleLayer(kernel, density * share, brightness * (0.5 + 0.5 * s)))
    return out


def streaks(img: np.ndarray, density: float, length: float, angle_deg: float, width: float, brightness: float,
            layers: int, accumulation: float, airlight: float, seed: int, out: np.ndarray | None = None) -> np.ndarray:
    """Rain streaks plus accumulation veil on an HxWx3 image (parameters as in ``rain.streaks``); written into
    ``out`` (HxWx3 float32, any strides) when given."""
    h, w, _ = img.shape
    depth, positions = particle_field(seed)
    s = render_layers(streak_layers(density, length, angle_deg, width, brightness, layers), h, w, positions)
    t = synthetic_transmission(depth, h, w, accumulation) if accumulation > 0 else None
    # I = T (J (1 - S) + S) + (1 - T) A: streaks screen-blended (bright, color 1), then the veil
    return veil_blend(img, s, t, 1.0, airlight, out)


DROP_THRESHOLD = 0.5
"""Level of the summed drop field at a drop's edge (blobs are ``max(0, 1 - q)`` bumps, q = 1 at sqrt(2) radii)."""
DROP_EDGE = 0.08
"""Half-width of the soft edge in units of the drop field (scales with the drop: ~1-3 px)."""
DROP_RADIUS_SPREAD = 0.35
"""Std of log(radius / mean radius) of the drops."""
SATELLITE_P, SATELLITE_OFFSET, SATELLITE_SCALE = 0.5, 0.6, 0.55
"""Probability that a drop has a satellite blob, its offset and radius (fractions of the drop radius)."""
BARREL = 0.6
"""Extra magnification of the refracted view towards a drop's edge: offset x (1 + BARREL * rho**2)."""
RIM_WIDTH, RIM_DARKENING = 0.15, 0.45
"""Width (drop-field units) and depth of the dark rim where the drop's surface bends light away."""
HALO_SCALE = 0.5
"""Std of the halo of blurred background around drops, as a fraction of the mean radius."""


@dataclass(frozen=True)
class DropFields:
    """Drops on the lens of an HxW image: ``alpha`` (HxW coverage, soft edge), ``halo`` (HxW weight of the
    blurred background around drops) and, for the pixels ``inside`` (flat indices where alpha > 0), the
    positions ``src_y``/``src_x`` (pixels, float32) the lens shows there and the rim ``shade`` factor."""

    alpha: np.ndarray
    halo: np.ndarray
    inside: np.ndarray
    src_y: np.ndarray
    src_x: np.ndarray
    shade: np.ndarray


def drop_fields(h: int, w: int, density: float, radius: float, zoom: float, rng: np.random.Generator) -> DropFields:
    """Geometry of drops on the lens (see :class:`DropFields`), drawn from ``rng``.

    Drops: Poisson(density * h * w / 1e4) centres, lognormal radii around ``radius`` px, random
    ellipses (aspect 0.75-1), half of them with a satellite blob; the blobs' bump fields add up
    (touching drops merge) and the level DROP_THRESHOLD is the drop's edge. Inside a drop of centre c
    and radius r the lens shows the scene inverted and ``zoom`` x minified: a pixel p samples
    ``c - zoom (p - c) (1 + BARREL rho**2)``, rho = |p - c| / r (clipped to the image); merged drops
    blend their lenses by their fields' weights.
    """
    n = rng.poisson(density * h * w / 1e4)
    cy, cx = rng.random(n) * h, rng.random(n) * w
    r = radius * np.exp(DROP_RADIUS_SPREAD * rng.standard_normal(n))
    sat = rng.random(n) < SATELLITE_P
    sat_dir = rng.random(n) * 2 * np.pi
    aspect = rng.uniform(0.75, 1.0, 2 * n)
    phi = rng.random(2 * n) * np.pi
    # blobs: every drop, then the satellites; each remembers its drop (centre and radius of the lens)
    parent = np.concatenate([np.arange(n), np.flatnonzero(sat)])
    by = np.concatenate([cy, cy[sat] + SATELLITE_OFFSET * r[sat] * np.sin(sat_dir[sat])])
    bx = np.concatenate([cx, cx[sat] + SATELLITE_OFFSET * r[sat] * np.cos(sat_dir[sat])])
    br = np.concatenate([r, SATELLITE_SCALE * r[sat]]) / math.sqrt(1.0 - DROP_THRESHOLD)
    ba, bphi = aspect[:len(parent)], phi[:len(parent)]
    # each blob's pixels in its own square window (ragged, built without a Python loop)
    half = np.ceil(br).astype(np.int64) + 1
    side = 2 * half + 1
    blob = np.repeat(np.arange(len(br)), side * side)
    local = np.arange(len(blob)) - np.repeat(np.cumsum(side * side) - side * side, side * side)
    py = np.round(by).astype(np.int64)[blob] + local // side[blob] - half[blob]
    px = np.round(bx).astype(np.int64)[blob] + local % side[blob] - half[blob]
    dy, dx = py - by[blob], px - bx[blob]
    c, s = np.cos(bphi)[blob], np.sin(bphi)[blob]
    q = ((dx * c + dy * s) / br[blob]) ** 2 + ((dy * c - dx * s) / (br * ba)[blob]) ** 2
    keep = (q < 1.0) & (py >= 0) & (py < h) & (px >= 0) & (px < w)
    flat, gk, lens = py[keep] * w + px[keep], 1.0 - q[keep], parent[blob[keep]]
    field = np.bincount(flat, gk, h * w)
    inside = np.flatnonzero(field > DROP_THRESHOLD - DROP_EDGE)
    weight = field[inside]
    a = np.clip((weight - (DROP_THRESHOLD - DROP_EDGE)) / (2 * DROP_EDGE), 0.0, 1.0)
    alpha = np.zeros(h * w, np.float32)
    alpha[inside] = a * a * (3.0 - 2.0 * a)
    # lens centre and radius per inside pixel: field-weighted means over the blobs covering it
    slot = np.full(h * w, -1, np.int64)
    slot[inside] = np.arange(len(inside))
    sel = slot[flat]
    on = sel >= 0
    sel, gk, lens = sel[on], gk[on], lens[on]
    ly = np.bincount(sel, gk * cy[lens], len(inside)) / weight
    lx = np.bincount(sel, gk * cx[lens], len(inside)) / weight
    lr = np.bincount(sel, gk * r[lens], len(inside)) / weight
    gy, gx = np.divmod(inside, w)
    oyy, oxx = gy - ly, gx - lx
    barrel = 1.0 + BARREL * (oyy * oyy + oxx * oxx) / (lr * lr)
    src_y = np.clip(ly - zoom * oyy * barrel, 0, h - 1).astype(np.float32)
    src_x = np.clip(lx - zoom * oxx * barrel, 0, w - 1).astype(np.float32)
    rim = 1.0 - np.clip((weight - DROP_THRESHOLD) / RIM_WIDTH, 0.0, 1.0)
    shade = (1.0 - RIM_DARKENING * rim).astype(np.float32)
    alpha = alpha.reshape(h, w)
    halo_sigma = max(HALO_SCALE * radius, 0.5)
    halo = convolve(alpha[:, :, None], gaussian_kernel(halo_sigma, halo_sigma)).reshape(h, w)
    halo = np.clip(2.0 * halo, 0.0, 1.0)
    return DropFields(alpha, halo, inside, src_y, src_x, shade)


def bilinear(img: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Sample an HxWxC image at float positions (ys, xs inside [0, H-1] x [0, W-1]) -> (len, C) float32."""
    h, w = img.shape[:2]
    y0 = np.minimum(np.floor(ys).astype(np.int64), h - 2)
    x0 = np.minimum(np.floor(xs).astype(np.int64), w - 2)
    fy, fx = (ys - y0)[:, None].astype(np.float32), (xs - x0)[:, None].astype(np.float32)
    top = img[y0, x0] * (1 - fx) + img[y0, x0 + 1] * fx
    bottom = img[y0 + 1, x0] * (1 - fx) + img[y0 + 1, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


def drops(img: np.ndarray, density: float, radius: float, zoom: float, blur: float, seed: int) -> np.ndarray:
    """Raindrops on the lens of an HxWx3 image (parameters as in ``rain.drops``).

    The out-of-focus scene (Gaussian std ``blur`` px) is seen through each drop, inverted and minified
    (:func:`drop_fields`), darkened at the rim; around drops the background blends into its blurred copy.
    """
    h, w, _ = img.shape
    f = drop_fields(h, w, density, radius, zoom, field_rng(seed))
    blurred = convolve(img, gaussian_kernel(blur, blur)) if blur > 0 else img
    # background: its blurred copy around drops (one fused pass through torch: numpy's broadcast over
    # the 3-wide last axis is slow)
    out = torch.lerp(torch.from_numpy(img), torch.from_numpy(blurred), torch.from_numpy(f.halo)[:, :, None]).numpy()
    a = f.alpha.reshape(-1)[f.inside, None]
    seen = bilinear(blurred, f.src_y, f.src_x) * f.shade[:, None]
    flat = out.reshape(-1, 3)
    flat[f.inside] = flat[f.inside] * (1 - a) + seen * a
    return out
