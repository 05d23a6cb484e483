"""Visual grounds: procedural TE42-style camera test-chart elements and their composition.

A *ground* is a content-free image on which a degradation is shown (a visual instruction, see
:mod:`degrade.instructions`). Elements come in four groups, one module each: ``regular`` (Siemens
stars, zone plate, rings, slanted edge, wedges, checkerboards), ``random`` (dead leaves, fractal noise,
random-phase texture), ``natural`` (bundled texture photos or a user folder) and ``colors``
(ColorChecker-style chart, gray steps, ramps, primaries). ``make_ground("te42")`` composes one element
of each group in 2x2 quadrants; ``"blank"`` and ``"simple"`` are the ablation grounds.

    from degrade.grounds import make_ground, list_grounds
    g = make_ground("te42", size=256, seed=0)      # 256x256x3 float32 in [0,1]
"""

from degrade.grounds.compose import (
    GROUND_STREAM,
    MIN_GROUND_SIZE,
    VARIANTS,
    list_grounds,
    make_ground,
    te42_choices,
    te42_elements,
)
from degrade.grounds.natural import register_texture_folder
from degrade.grounds.registry import GROUPS, element, get_element, list_elements

__all__ = ["GROUND_STREAM", "GROUPS", "MIN_GROUND_SIZE", "VARIANTS", "element", "get_element", "list_elements",
           "list_grounds", "make_ground", "register_texture_folder", "te42_choices", "te42_elements"]
