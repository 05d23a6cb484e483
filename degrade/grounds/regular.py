"""Regular (concentric and periodic) chart elements: resolution targets of ISO 12233 / TE42-style charts.

Every element is monochrome, drawn in the chart tones of :mod:`degrade.grounds.primitives` with
anti-aliased edges, and returned as size x size x 3 float32 RGB in [0,1].

* ``siemens_star_sine`` / ``siemens_star_square``: ``n`` spokes (cycles per turn), intensity
  ``cos(n * theta + rotation)`` (or its square wave). At radius ``r`` the local frequency is
  ``n / (2 pi r)`` cycles/pixel; inside the radius where the period falls under :data:`STAR_MIN_PERIOD`
  pixels the star is mid-gray, as on printed stars. Small elements cap ``n`` at :func:`max_spokes` so
  that the gray centre spans at most half the element.
* ``zone_plate``: circular chirp ``cos(pi k r^2)``; local frequency ``k r`` cycles/pixel grows linearly with
  the radius and reaches :data:`ZONE_PLATE_MAX_FREQ` in the corners (``k`` is reported by :func:`zone_plate_k`).
* ``rings``: concentric square-wave rings of constant pitch.
* ``slanted_edge``: a dark square rotated by 3-10 degrees on a light field (the ISO 12233 e-SFR target).
* ``wedges``: line pairs whose frequency rises linearly from 1/16 to 0.4 cycles/pixel across the element.
* ``checkerboard``: four checkerboard tiles with square sides of size/32, size/16, size/8 and size/4 pixels.
"""

from __future__ import annotations

import numpy as np

from degrade.grounds.primitives import box_edge, centered_grid, polar_grid, square_wave, tone
from degrade.grounds.registry import element

STAR_SPOKES = (24, 32, 48)
"""Spoke counts (cycles per turn) a Siemens star draws from."""
STAR_MIN_PERIOD = 3.0
"""Shortest spoke period drawn (pixels); closer to the centre the star is mid-gray."""
ZONE_PLATE_MAX_FREQ = 0.45
"""Local frequency of the zone plate at the element's corners (cycles/pixel, below Nyquist 0.5)."""
WEDGE_FREQ = (1 / 16, 0.4)
"""Line-pair frequency at the two ends of the wedge (cycles/pixel)."""


def siemens_star(size: int, spokes: int, rotation: float = 0.0, square: bool = False) -> np.ndarray:
    """Siemens star with ``spokes`` cycles per turn rotated by ``rotation`` radians: size x size x 3 float32."""
    r, theta = polar_grid(size)
    phase = spokes * theta + np.float32(rotation)
    wave = square_wave(phase, spokes / np.maximum(r, 1e-3)) if square else np.cos(phase)
    wave = np.where(r < STAR_MIN_PERIOD * spokes / (2 * np.pi), 0.0, wave)
    return tone(wave)


def max_spokes(size: int) -> int:
    """Most spokes whose gray centre (radius ``STAR_MIN_PERIOD n / 2 pi``) stays within size/4 pixels."""
    return int(2 * np.pi * (size / 4) / STAR_MIN_PERIOD)


def _random_star(size: int, rng: np.random.Generator, square: bool) -> np.ndarray:
    spokes = min(int(rng.choice(STAR_SPOKES)), max_spokes(size))
    return siemens_star(size, spokes, float(rng.uniform(0, 2 * np.pi)), square=square)


@element("regular.siemens_star_sine")
def siemens_star_sine(size: int, rng: np.random.Generator) -> np.ndarray:
    """Sinusoidal Siemens star; spoke count from :data:`STAR_SPOKES` and rotation drawn from ``rng``."""
    return _random_star(size, rng, square=False)


@element("regular.siemens_star_square")
def siemens_star_square(size: int, rng: np.random.Generator) -> np.ndarray:
    """Square-wave (bar) Siemens star; spoke count from :data:`STAR_SPOKES` and rotation drawn from ``rng``."""
    return _random_star(size, rng, square=True)


def zone_plate_k(size: int) -> float:
    """Chirp rate ``k`` of the zone plate (cycles/pixel per pixel of radius): frequency ``k r`` at radius ``r``."""
    return ZONE_PLATE_MAX_FREQ / (np.sqrt(2.0) * (size - 1) / 2.0)


@element("regular.zone_plate", uses_rng=False)
def zone_plate(size: int, rng: np.random.Generator) -> np.ndarray:
    """Circular zone plate ``cos(pi k r^2)`` (deterministic: ``rng`` is not used)."""
    r, _ = polar_grid(size)
    return tone(np.cos(np.float32(np.pi * zone_plate_k(size)) * r * r))


@element("regular.rings")
def rings(size: int, rng: np.random.Generator) -> np.ndarray:
    """Concentric square-wave rings with a pitch (period) of size/16, size/24 or size/32 pixels drawn from ``rng``."""
    r, _ = polar_grid(size)
    period = size / float(rng.choice((16, 24, 32)))
    return tone(square_wave(2 * np.pi * r / period, 2 * np.pi / period))


@element("regular.slanted_edge")
def slanted_edge(size: int, rng: np.random.Generator) -> np.ndarray:
    """Dark square of side size/2 rotated by 3-10 degrees (either sense, drawn from ``rng``) on a light field."""
    angle = np.deg2rad(rng.uniform(3.0, 10.0)) * rng.choice((-1.0, 1.0))
    y, x = centered_grid(size)
    u = x * np.float32(np.cos(angle)) + y * np.float32(np.sin(angle))
    v = -x * np.float32(np.sin(angle)) + y * np.float32(np.cos(angle))
    inside = box_edge(np.maximum(np.abs(u), np.abs(v)) - size / 4.0)
    return tone(1.0 - 2.0 * inside)


@element("regular.wedges")
def wedges(size: int, rng: np.random.Generator) -> np.ndarray:
    """Line pairs converging across the element (frequency linear in position); one of 4 orientations from ``rng``."""
    y, x = centered_grid(size)
    f0, f1 = WEDGE_FREQ
    freq = f0 + (f1 - f0) * (y - y.min()) / max(size - 1, 1)
    dfreq = (f1 - f0) / max(size - 1, 1)
    phase = 2 * np.pi * freq * x
    grad = 2 * np.pi * np.hypot(freq, dfreq * x)
    return np.ascontiguousarray(np.rot90(tone(square_wave(phase, grad)), k=int(rng.integers(4))))


@element("regular.checkerboard")
def checkerboard(size: int, rng: np.random.Generator) -> np.ndarray:
    """Four checkerboard tiles (2x2) with squares of size/32, size/16, size/8, size/4 px; tile order from ``rng``."""
    half = (size + 1) // 2
    yy, xx = np.mgrid[0:half, 0:half]
    tiles = []
    for div in rng.permutation([32, 16, 8, 4]):
        pitch = max(size / float(div), 1.0)
        tiles.append(np.where((np.floor(yy / pitch) + np.floor(xx / pitch)) % 2 == 0, 1.0, -1.0))
    wave = np.block([[tiles[0], tiles[1]], [tiles[2], tiles[3]]])[:size, :size]
    return tone(wave)
