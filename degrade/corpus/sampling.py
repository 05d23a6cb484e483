"""Everything random about sample ``i`` of a corpus, from (config seed, i) alone.

* ``sample_rng(seed, i)``: first the task (one draw, weighted), then the recipe from that task's spec;
* ``sample_rng(seed, i, CROP_STREAM)``: the crop position (random patch mode), so changing the task mix
  keeps every gt patch where it was;
* ``sample_rng(seed, i, INSTRUCTION_STREAM)``: the seed of the visual instruction.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from degrade.corpus.config import CorpusConfig, Task
from degrade.recipe import Recipe
from degrade.spec import sample_recipe
from restorebench.seeding import draw_seed, sample_rng

CROP_STREAM = 1
INSTRUCTION_STREAM = 2
PEER_STREAM = 3


def choose_task(rng: np.random.Generator, weights: Sequence[float]) -> int:
    """Index of the task picked with probability ``weights[j]`` (normalized weights, one uniform draw)."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    return min(int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right")), len(cdf) - 1)


def draw_sample(config: CorpusConfig, index: int) -> tuple[Task, Recipe]:
    """The task and applied recipe of sample ``index`` (no pixels involved)."""
    rng = sample_rng(config.seed, index)
    task = config.tasks[choose_task(rng, config.weights)]
    return task, sample_recipe(task.spec, rng)


def crop_rng(config: CorpusConfig, index: int) -> np.random.Generator:
    """The generator of sample ``index``'s crop position."""
    return sample_rng(config.seed, index, CROP_STREAM)


def instruction_seed(config: CorpusConfig, index: int) -> int:
    """The seed passed to ``make_instruction`` for sample ``index``."""
    return draw_seed(sample_rng(config.seed, index, INSTRUCTION_STREAM))


def task_labels(recipe: Recipe) -> list[str]:
    """Degradation families in the recipe, in order of first appearance (e.g. ['rain', 'noise'])."""
    return list(dict.fromkeys(op.split(".")[0] for op in recipe.ops))
