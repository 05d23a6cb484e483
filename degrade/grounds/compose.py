"""Visual grounds: the composed TE42-style ground, the blank and simple ablation grounds, single elements.

Layout of the composed ``te42`` ground (``size`` x ``size``; at 256 px each quadrant is 128 px)::

    +-----------+-----------+
    |  regular  |  random   |     one element drawn from each group, each drawn at
    |  texture  |  texture  |     q = ceil(size / 2) pixels; odd sizes crop the
    +-----------+-----------+     right column and bottom row of the 2q canvas
    |  natural  |  colors   |
    |  texture  |           |
    +-----------+-----------+

Quadrant ``g`` (``g`` = index of its group in :data:`~degrade.grounds.registry.GROUPS`) shows an
element chosen uniformly among the group's registered elements (one draw per group, in group order,
from ``restorebench.seeding.sample_rng(seed, CHOICE_STREAM)``); the element draws its variation from
``sample_rng(seed, GROUND_STREAM, g)``. A single element asked for by name (``"regular.zone_plate"``)
uses that same stream, so it equals its quadrant when drawn at the quadrant's size. The ground is a
deterministic function of (name, size, seed) and of the registered elements.

Ablation grounds (as in Defusion's ablations): ``blank`` is a solid mid-gray (sRGB 0.5) and
``simple`` is vertical square-wave stripes in the chart tones with a period of size/8 pixels; both
ignore the seed.
"""

from __future__ import annotations

import functools

import numpy as np

from degrade.grounds.primitives import CHART_MID, centered_grid, square_wave, tone
from degrade.grounds.registry import GROUPS, get_element, list_elements, version
from restorebench.errors import InputError
from restorebench.seeding import SEED_BOUND, sample_rng

GROUND_STREAM = 0x67726E64
"""Sub-stream tag of element randomness ('grnd'): keeps it apart from the per-step streams of instructions."""
CHOICE_STREAM = 0x63686F73
"""Sub-stream tag of the composed ground's element choices ('chos')."""
MIN_GROUND_SIZE = 32
"""Smallest ground side in pixels (each quadrant of the composed ground is then at least 16 px)."""
COMPOSED = "te42"
ABLATIONS = ("blank", "simple")
SIMPLE_STRIPE_PERIODS = 8
"""Number of stripe periods across the ``simple`` ground."""


def list_grounds() -> list[str]:
    """Every name ``make_ground`` accepts: ``te42``, ``blank``, ``simple`` and the registered elements."""
    return [COMPOSED, *ABLATIONS, *list_elements()]


def _element_stream(seed: int, group: str) -> np.random.Generator:
    return sample_rng(seed, GROUND_STREAM, GROUPS.index(group))


def te42_elements(seed: int) -> dict[str, str]:
    """The element drawn for each group (quadrant) of the composed ground with ``seed``: {group: name}."""
    _check_seed(seed)
    rng = sample_rng(seed, CHOICE_STREAM)
    chosen = {}
    for group in GROUPS:
        names = list_elements(group)
        if not names:
            raise InputError(f"no ground elements registered in group {group!r}")
        chosen[group] = names[int(rng.integers(len(names)))]
    return chosen


def _te42(size: int, seed: int) -> np.ndarray:
    q = (size + 1) // 2
    canvas = np.empty((2 * q, 2 * q, 3), np.float32)
    for g, (group, name) in enumerate(te42_elements(seed).items()):
        top, left = (g // 2) * q, (g % 2) * q
        canvas[top:top + q, left:left + q] = get_element(name)(q, _element_stream(seed, group))
    return canvas[:size, :size]


def _simple(size: int) -> np.ndarray:
    _, x = centered_grid(size)
    period = size / SIMPLE_STRIPE_PERIODS
    return tone(square_wave(2 * np.pi * x / period, 2 * np.pi / period))


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < SEED_BOUND:
        raise InputError(f"ground seed {seed!r}: expected an integer in [0, 2**32)")


@functools.lru_cache(maxsize=64)
def _cached(name: str, size: int, seed: int, registry_version: int) -> np.ndarray:
    if name == COMPOSED:
        out = _te42(size, seed)
    elif name == "blank":
        out = np.full((size, size, 3), CHART_MID, np.float32)
    elif name == "simple":
        out = _simple(size)
    else:
        out = get_element(name)(size, _element_stream(seed, name.split(".")[0]))
    out = np.ascontiguousarray(out, dtype=np.float32)
    out.flags.writeable = False
    return out


def make_ground(name: str = COMPOSED, size: int = 256, seed: int = 0) -> np.ndarray:
    """A visual ground: size x size x 3 float32 RGB in [0,1], a deterministic function of (name, size, seed).

    ``name`` is ``"te42"`` (composed, see the module docstring), ``"blank"``, ``"simple"`` or an element
    name from ``list_elements()`` (e.g. ``"random.dead_leaves"``). Returns a fresh writable array.
    """
    if not isinstance(name, str) or (name not in (COMPOSED, *ABLATIONS) and name not in list_elements()):
        raise InputError(f"unknown ground {name!r}; use one of {', '.join(list_grounds())}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < MIN_GROUND_SIZE:
        raise InputError(f"ground size {size!r}: expected an integer of at least {MIN_GROUND_SIZE} pixels")
    _check_seed(seed)
    return _cached(name, int(size), int(seed), version()).copy()
