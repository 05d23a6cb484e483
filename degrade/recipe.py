"""Recipes: the exact chain of operators and parameters that made a degraded image.

A recipe is data: ``{"version": 1, "steps": [{"op": "rain.streaks", "params": {...}}, ...]}``.
It serializes to JSON and YAML and back without loss; ``replay(img, recipe)`` re-applies it and
reproduces the CPU output bit for bit (every stochastic field comes from a ``seed`` in the params).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from degrade.registry import get
from restorebench.errors import InputError
from restorebench.validate import check_batch, check_image

RECIPE_VERSION = 1


@dataclass(frozen=True)
class Step:
    """One applied operator: its registered name and its full params dict."""

    op: str
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"op": self.op, "params": dict(self.params)}


@dataclass(frozen=True)
class Recipe:
    """An ordered chain of applied steps."""

    steps: tuple[Step, ...] = ()
    version: int = RECIPE_VERSION
    checked: bool = field(default=False, compare=False, repr=False)
    """True when every step's params came from its operator's ``check`` (parsed or sampled recipes): replay
    then applies them without checking them again."""

    @property
    def ops(self) -> tuple[str, ...]:
        """The operator names in order."""
        return tuple(s.op for s in self.steps)

    def to_dict(self) -> dict:
        return {"version": self.version, "steps": [s.to_dict() for s in self.steps]}

    def to_json(self, indent: int | None = None) -> str:
        """Canonical JSON (sorted keys): equal recipes give equal strings."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=indent)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_dict(cls, data: Any, source: str = "recipe") -> Recipe:
        """Parse and validate a recipe dict; each step's params are checked against its operator."""
        if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
            raise InputError(f"{source}: a recipe is a mapping with a 'steps' list of {{op, params}}")
        unknown = sorted(set(data) - {"version", "steps"})
        if unknown:
            raise InputError(f"{source}: unknown recipe key(s) {unknown}; a recipe has only 'version' and 'steps'")
        version = data.get("version", RECIPE_VERSION)
        if version != RECIPE_VERSION:
            raise InputError(f"{source}: recipe version {version!r} is not supported (expected {RECIPE_VERSION})")
        steps = []
        for i, s in enumerate(data["steps"]):
            if not isinstance(s, dict) or "op" not in s or set(s) - {"op", "params"}:
                raise InputError(f"{source}: step {i} must be a mapping with 'op' and 'params' only")
            steps.append(Step(s["op"], get(s["op"]).check(dict(s.get("params") or {}))))
        return cls(tuple(steps), version, checked=True)

    @classmethod
    def from_json(cls, text: str, source: str = "recipe") -> Recipe:
        return cls.from_dict(json.loads(text), source)

    @classmethod
    def from_yaml(cls, text: str, source: str = "recipe") -> Recipe:
        return cls.from_dict(yaml.safe_load(text), source)

    @classmethod
    def load(cls, path: str | Path) -> Recipe:
        """Read a .json, .yaml or .yml recipe file."""
        path = Path(path)
        text = path.read_text()
        return cls.from_json(text, str(path)) if path.suffix == ".json" else cls.from_yaml(text, str(path))


def replay(img: np.ndarray, recipe: Recipe | dict) -> np.ndarray:
    """Apply ``recipe`` to one HxWx3 float32 [0,1] image; bit-exact with the run that recorded it."""
    if isinstance(recipe, dict):
        recipe = Recipe.from_dict(recipe)
    out = check_image(img, "replay input")
    for step in recipe.steps:
        # each step's output is float32 in [0,1]: only the first input needs checking
        op = get(step.op)
        out = op.apply_checked(out, step.params) if recipe.checked else op.apply_valid(out, step.params)
    return out


def replay_batch(x: Any, recipes: list[Recipe]) -> Any:
    """Apply one recipe per sample to an Nx3xHxW tensor (a new tensor; ``x`` is left as it is); samples
    sharing an op sequence run together. The batch is checked once: each step's output stays in [0,1]."""
    import torch

    if len(recipes) != x.shape[0]:
        raise InputError(f"{len(recipes)} recipes for a batch of {x.shape[0]}")
    check_batch(x, "replay_batch input")
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, r in enumerate(recipes):
        groups.setdefault(r.ops, []).append(i)
    if len(groups) == 1:  # one op sequence for the whole batch: no gather and scatter
        return _replay_group(x, recipes)
    out = torch.empty_like(x)
    for idx in groups.values():
        out[idx] = _replay_group(x[idx], [recipes[i] for i in idx])
    return out


def _replay_group(x: Any, recipes: list[Recipe]) -> Any:
    """Recipes sharing one op sequence applied to the valid batch ``x``, a new tensor."""
    y = x
    for k, step in enumerate(recipes[0].steps):
        y = get(step.op).apply_batch_valid(y, [r.steps[k].params for r in recipes])
    return y.clone() if y is x else y
