"""Visual grounds: the composed TE42-style ground, the blank and simple ablation grounds, single elements.

Layout of the composed ``te42`` ground (``size`` x ``size``; at 256 px each quadrant is 128 px)::

    +-----------+-----------+
    |  regular  |  random   |     one element drawn from each group, each drawn at
    |  texture  |  texture  |     q = ceil(size / 2) pixels; odd sizes crop the
    +-----------+-----------+     right column and bottom row of the 2q canvas
    |  natural  |  colors   |
    |  texture  |           |
    +-----------+-----------+

Like the printed elements of a TE42 chart, every element has a finite set of :data:`VARIANTS`
drawings per size: variant ``v`` of an element of group ``g`` (its index in
:data:`~degrade.grounds.registry.GROUPS`) is drawn from ``restorebench.seeding.sample_rng(v,
GROUND_STREAM, g)``; deterministic elements (``uses_rng=False``) have the single variant 0. Drawings
are rendered once and reused (:mod:`degrade.grounds.bank`), so a ground costs four array copies once
its variants have been drawn. The seed picks, for each group in group order, an element uniformly
among the group's registered elements and then a variant uniformly in ``[0, VARIANTS)``, both from
``sample_rng(seed, CHOICE_STREAM)`` (:func:`te42_choices`). A single element asked for by name
(``"regular.zone_plate"``) takes the variant its group's quadrant would take with that seed, so it
equals its quadrant when drawn at the quadrant's size. The ground is a deterministic function of
(name, size, seed) and of the registered elements: 6 x 32 regular, 3 x 32 random, 3 x 32 natural
and 4 colour drawings give about 7 million distinct te42 grounds.

Ablation grounds (as in Defusion's ablations): ``blank`` is a solid mid-gray (sRGB 0.5) and
``simple`` is vertical square-wave stripes in the chart tones with a period of size/8 pixels; both
ignore the seed.
"""

from __future__ import annotations

import numpy as np

from degrade.grounds import bank
from degrade.grounds.primitives import CHART_MID, centered_grid, square_wave, tone
from degrade.grounds.registry import GROUPS, get_element, is_deterministic, list_elements, version
from restorebench.errors import InputError
from restorebench.seeding import check_seed, sample_rng

GROUND_STREAM = 0x67726E64
"""Sub-stream tag of element variants' randomness ('grnd'): keeps it apart from the per-step streams of instructions."""
CHOICE_STREAM = 0x63686F73
"""Sub-stream tag of a ground's element and variant choices ('chos')."""
VARIANTS = 32
"""Drawings per (element, size) for elements that use randomness."""
MIN_GROUND_SIZE = 32
"""Smallest ground side in pixels (each quadrant of the composed ground is then at least 16 px)."""
COMPOSED = "te42"
ABLATIONS = ("blank", "simple")
SIMPLE_STRIPE_PERIODS = 8
"""Number of stripe periods across the ``simple`` ground."""


def list_grounds() -> list[str]:
    """Every name ``make_ground`` accepts: ``te42``, ``blank``, ``simple`` and the registered elements."""
    return [COMPOSED, *ABLATIONS, *list_elements()]


def variant_rng(group: str, variant: int) -> np.random.Generator:
    """The generator that draws variant ``variant`` of the elements of ``group``."""
    return sample_rng(variant, GROUND_STREAM, GROUPS.index(group))


def te42_choices(seed: int) -> dict[str, tuple[str, int]]:
    """The (element, variant) drawn for each group (quadrant) of a ground with ``seed``: {group: (name, v)}."""
    check_seed(seed, "ground seed")
    rng = sample_rng(seed, CHOICE_STREAM)
    chosen = {}
    for group in GROUPS:
        names = list_elements(group)
        if not names:
            raise InputError(f"no ground elements registered in group {group!r}")
        name = names[int(rng.integers(len(names)))]
        variant = int(rng.integers(VARIANTS))
        chosen[group] = (name, 0 if is_deterministic(name) else variant)
    return chosen


def te42_elements(seed: int) -> dict[str, str]:
    """The element drawn for each group (quadrant) of the composed ground with ``seed``: {group: name}."""
    return {group: name for group, (name, _) in te42_choices(seed).items()}


def element_drawing(name: str, size: int, variant: int) -> np.ndarray:
    """Variant ``variant`` of element ``name`` at ``size`` px: a read-only size x size x 3 float32 array."""
    if is_deterministic(name):
        variant = 0
    group = name.split(".")[0]
    return bank.drawing((name, size, variant, version()), lambda: get_element(name)(size, variant_rng(group, variant)))


def _te42(size: int, seed: int) -> np.ndarray:
    q = (size + 1) // 2
    canvas = np.empty((2 * q, 2 * q, 3), np.float32)
    for g, (name, variant) in enumerate(te42_choices(seed).values()):
        top, left = (g // 2) * q, (g % 2) * q
        canvas[top:top + q, left:left + q] = element_drawing(name, q, variant)
    return canvas[:size, :size]


def _simple(size: int) -> np.ndarray:
    _, x = centered_grid(size)
    period = size / SIMPLE_STRIPE_PERIODS
    return tone(square_wave(2 * np.pi * x / period, 2 * np.pi / period))


def _ablation(name: str, size: int) -> np.ndarray:
    if name == "blank":
        return np.full((size, size, 3), CHART_MID, np.float32)
    return _simple(size)


def make_ground(name: str = COMPOSED, size: int = 256, seed: int = 0) -> np.ndarray:
    """A visual ground: size x size x 3 float32 RGB in [0,1], a deterministic function of (name, size, seed).

    ``name`` is ``"te42"`` (composed, see the module docstring), ``"blank"``, ``"simple"`` or an element
    name from ``list_elements()`` (e.g. ``"random.dead_leaves"``). Returns a fresh writable array.
    """
    if not isinstance(name, str) or (name not in (COMPOSED, *ABLATIONS) and name not in list_elements()):
        raise InputError(f"unknown ground {name!r}; use one of {', '.join(list_grounds())}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < MIN_GROUND_SIZE:
        raise InputError(f"ground size {size!r}: expected an integer of at least {MIN_GROUND_SIZE} pixels")
    check_seed(seed, "ground seed")
    size, seed = int(size), int(seed)
    if name == COMPOSED:
        return np.ascontiguousarray(_te42(size, seed))
    if name in ABLATIONS:
        return bank.drawing((name, size, 0, 0), lambda: _ablation(name, size)).copy()
    variant = te42_choices(seed)[name.split(".")[0]][1]
    return element_drawing(name, size, variant).copy()
