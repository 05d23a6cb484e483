"""Composable, reproducible degradation operators, recipes, visual grounds and paired corpora.

Quick use::

    import numpy as np, degrade
    from restorebench.seeding import sample_rng
    op = degrade.get("noise.gaussian")
    noisy, params = op(img, sample_rng(0, 0), severity=3)   # img: HxWx3 float32 RGB in [0,1]
    recipe = degrade.sample_recipe({"policy": "chain", "items": [{"op": "rain.streaks", "severity": 3},
                                                                  {"op": "noise.gaussian", "severity": 2}]},
                                   sample_rng(0, 1))
    assert (degrade.replay(img, recipe) == degrade.replay(img, recipe)).all()
"""

from degrade.operator import Operator
from degrade.recipe import Recipe, Step, replay, replay_batch
from degrade.registry import get, list_ops, register
from degrade.spec import all_orders, sample_recipe, validate_spec

__all__ = ["Operator", "Recipe", "Step", "replay", "replay_batch", "get", "list_ops", "register",
           "all_orders", "sample_recipe", "validate_spec"]
