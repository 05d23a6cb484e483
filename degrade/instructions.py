"""Visual instructions: a degradation shown on a content-free visual ground (Defusion, CVPR 2025).

``make_instruction(recipe, seed, ground="te42", size=256)`` applies the image's recipe to a ground:
the same operators, in the same order, with the same parameters, except that every stochastic
field is re-drawn. Step ``i``'s new ``seed`` is ``draw_seed(sample_rng(seed, i))``
(:mod:`restorebench.seeding`), so the instruction's noise, streaks or flakes are fresh draws of the
same distribution, not a copy of the image's field, and the same (recipe, seed, ground) always
gives the same bytes. Steps without a ``seed`` parameter are applied unchanged.

The ground is ``make_ground(ground, size, ground_seed)`` with ``ground_seed`` defaulting to ``seed``
(see :mod:`degrade.grounds`), or an HxWx3 float32 [0,1] array given directly (then ``size`` is unused).
Steps that change the image size (``resize.down`` without ``upsample_back``) give a smaller degraded
ground; it is brought back to the ground's size with bicubic interpolation (``cv2.INTER_CUBIC``), as
super-resolution inputs are upsampled before they are compared with their targets.
The result holds the degraded ground, the clean ground (the "null" instruction, what an identity
degradation shows) and their residual ``degraded - clean`` in [-1, 1], which guides the restorer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from degrade.grounds import make_ground
from degrade.recipe import Recipe, Step, replay, replay_batch
from restorebench.errors import InputError
from restorebench.seeding import check_seed, draw_seed, sample_rng
from restorebench.validate import check_image


@dataclass(frozen=True, eq=False)
class Instruction:
    """A visual instruction. Arrays are HxWx3 float32; ``degraded``/``clean`` in [0,1], ``residual`` in [-1,1]."""

    degraded: np.ndarray
    clean: np.ndarray
    residual: np.ndarray
    recipe: Recipe
    """The recipe as applied to the ground (stochastic seeds re-drawn)."""
    ground: str
    """The ground's name, or ``"array"`` when the ground was passed as an array."""
    seed: int


def reseed(recipe: Recipe | dict, seed: int) -> Recipe:
    """``recipe`` with the ``seed`` of step ``i`` replaced by ``draw_seed(sample_rng(seed, i))``; all else kept."""
    recipe = as_recipe(recipe)
    steps = []
    for i, step in enumerate(recipe.steps):
        params = dict(step.params)
        if "seed" in params:
            params["seed"] = draw_seed(sample_rng(seed, i))
        steps.append(Step(step.op, params))
    return Recipe(tuple(steps), recipe.version)


def as_recipe(recipe: Recipe | dict) -> Recipe:
    """A validated :class:`Recipe` from a Recipe or a recipe dict (``{"version": 1, "steps": [...]}``)."""
    if isinstance(recipe, Recipe):
        return recipe
    if isinstance(recipe, dict):
        return Recipe.from_dict(recipe)
    raise InputError(f"recipe: expected a degrade.Recipe or a recipe dict, got {type(recipe).__name__}")


def resolve_ground(ground: np.ndarray | str, size: int, seed: int) -> tuple[np.ndarray, str]:
    """(ground image, its name): a named ground made at ``size`` with ``seed``, or a checked array as is."""
    if isinstance(ground, str):
        return make_ground(ground, size, seed), ground
    if isinstance(ground, np.ndarray):
        return check_image(ground, "ground").copy(), "array"
    raise InputError(f"ground: expected a ground name or an HxWx3 float32 array, got {type(ground).__name__}")


def make_instruction(recipe: Recipe | dict, seed: int, ground: np.ndarray | str = "te42", size: int = 256,
                     *, ground_seed: int | None = None) -> Instruction:
    """Apply ``recipe`` (stochastic fields re-drawn from ``seed``) to a visual ground; see the module docstring.

    ``seed``: integer in [0, 2**32). ``ground``: a ground name (``"te42"``, ``"blank"``, ``"simple"`` or
    an element name) or an HxWx3 float32 [0,1] array. ``size``: side of a named ground in pixels.
    """
    check_seed(seed, "instruction seed")
    clean, name = resolve_ground(ground, size, int(seed if ground_seed is None else ground_seed))
    return apply_to_ground(reseed(recipe, int(seed)), clean, name, int(seed))


def apply_to_ground(applied: Recipe, clean: np.ndarray, ground: str, seed: int) -> Instruction:
    """The instruction of an already re-seeded recipe ``applied`` on the ground image ``clean`` (no re-drawing)."""
    degraded = replay(clean, applied)
    if degraded.shape != clean.shape:
        h, w = clean.shape[:2]
        degraded = np.clip(cv2.resize(degraded, (w, h), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)
    return Instruction(degraded, clean, degraded - clean, applied, ground, seed)


@dataclass(frozen=True, eq=False)
class InstructionBatch:
    """Instructions of a batch: Nx3xHxW float tensors on one device (``residual`` = ``degraded - clean``)."""

    degraded: Any
    clean: Any
    residual: Any
    recipes: tuple[Recipe, ...]
    """The recipes as applied (seeds re-drawn), one per sample."""


def make_instructions_batch(recipes: Sequence[Recipe | dict], seeds: Sequence[int], ground: str = "te42",
                            size: int = 256, device: Any = "cpu", *,
                            ground_seeds: Sequence[int] | None = None) -> InstructionBatch:
    """N instructions at once with the operators' torch batch path on ``device`` (e.g. ``"cuda"``).

    Sample ``i`` uses ``recipes[i]`` re-seeded from ``seeds[i]`` and the ground ``make_ground(ground, size,
    ground_seeds[i])`` (``ground_seeds`` defaults to ``seeds``; grounds are built on the CPU, then moved),
    exactly as :func:`make_instruction` does; the random fields come from torch generators seeded with
    the same re-drawn seeds, so their statistics match the numpy path but their bytes do not (on the CPU
    the operators that run the numpy path there give its bytes: blurs, resize, rain streaks, snow, Gaussian
    and speckle noise). Steps that change the image size are not supported here.
    """
    import torch

    ground_seeds = seeds if ground_seeds is None else ground_seeds
    if not len(recipes) == len(seeds) == len(ground_seeds):
        raise InputError(f"{len(recipes)} recipes, {len(seeds)} seeds, {len(ground_seeds)} ground seeds: "
                         "pass one seed (and ground seed) per recipe")
    if not recipes:
        raise InputError("make_instructions_batch: empty batch")
    for s in seeds:
        check_seed(s, "instruction seed")
    applied = tuple(reseed(r, int(s)) for r, s in zip(recipes, seeds))
    grounds = np.stack([resolve_ground(ground, size, int(s))[0] for s in ground_seeds])
    clean = torch.from_numpy(grounds).permute(0, 3, 1, 2).to(device)
    degraded = replay_batch(clean, list(applied))
    return InstructionBatch(degraded, clean, degraded - clean, applied)
