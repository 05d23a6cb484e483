"""Pixel grids and anti-aliased waveforms shared by the chart elements (all float32, pixel units).

Grids are sampled at pixel centres. Chart elements keep their tones inside ``[CHART_BLACK, CHART_WHITE]``
(sRGB code values), like a printed chart photographed with correct exposure: additive degradations
(noise, rain, snow) then rarely clip at the chart's extremes, so the residual shows the whole field.
"""

from __future__ import annotations

import functools

import numpy as np

CHART_BLACK = 0.1
"""Darkest tone of the monochrome chart elements (sRGB code value in [0,1])."""
CHART_WHITE = 0.9
"""Lightest tone of the monochrome chart elements (sRGB code value in [0,1])."""
CHART_MID = (CHART_BLACK + CHART_WHITE) / 2
CHART_AMP = (CHART_WHITE - CHART_BLACK) / 2


@functools.lru_cache(maxsize=8)
def centered_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(y, x) float32 size x size coordinates in pixels, origin at the element centre ((size-1)/2).

    Cached per size and read-only: compute new arrays from them.
    """
    c = (size - 1) / 2.0
    ax = np.arange(size, dtype=np.float32) - np.float32(c)
    return _frozen(*np.meshgrid(ax, ax, indexing="ij"))


@functools.lru_cache(maxsize=8)
def polar_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(r, theta): radius in pixels and angle in radians (-pi, pi] about the element centre, size x size.

    Cached per size and read-only: compute new arrays from them.
    """
    y, x = centered_grid(size)
    return _frozen(np.hypot(x, y), np.arctan2(y, x))


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.flags.writeable = False
    return arrays


def square_wave(phase: np.ndarray, phase_gradient: np.ndarray | float) -> np.ndarray:
    """Anti-aliased square wave in [-1, 1] with the sign of ``cos(phase)``.

    ``phase_gradient`` is |grad phase| in radians per pixel. Near an edge ``cos(phase)/|grad phase|`` is
    the signed distance to it in pixels, so clipping ``2 * distance`` to [-1, 1] gives the box-filtered
    (pixel-area) edge; where the period nears 2 pixels the wave fades towards a sinusoid instead of aliasing.
    """
    grad = np.maximum(np.asarray(phase_gradient, dtype=np.float32), np.float32(1e-6))
    return np.clip(2.0 * np.cos(phase) / grad, -1.0, 1.0).astype(np.float32)


def box_edge(distance: np.ndarray) -> np.ndarray:
    """Pixel coverage in [0, 1] of the half-plane ``distance < 0`` (signed distance in pixels, box filter)."""
    return np.clip(0.5 - distance, 0.0, 1.0).astype(np.float32)


def tone(wave: np.ndarray) -> np.ndarray:
    """Map a monochrome wave in [-1, 1] to chart tones and an HxWx3 float32 RGB image."""
    gray = (CHART_MID + CHART_AMP * wave).astype(np.float32)
    return np.repeat(gray[:, :, None], 3, axis=2)
