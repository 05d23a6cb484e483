"""What ``--recipe FILE`` may hold, read the same way by ``restorebench degrade`` and ``restorebench instructions``.

A YAML or JSON file with one of:

* a spec (``{op: ...}`` or ``{policy: ..., items: [...]}``, see :mod:`degrade.spec`): item ``i`` of a job
  seeded with ``s`` gets the recipe sampled with ``sample_rng(s, i)``;
* an applied recipe (``{version, steps}``): every item gets it as is;
* a sidecar written by ``degrade`` or ``instructions`` (a mapping with a ``recipe`` key holding an applied
  recipe): replays that recipe.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from degrade.recipe import Recipe
from degrade.spec import sample_recipe, validate_spec
from restorebench.errors import InputError
from restorebench.seeding import sample_rng


@dataclass(frozen=True)
class Degradation:
    """A spec to sample per item, or one applied recipe for every item (exactly one is set)."""

    spec: dict | None = None
    recipe: Recipe | None = None

    def recipe_for(self, seed: int, index: int) -> Recipe:
        """The applied recipe of item ``index`` of a job seeded with ``seed``."""
        return self.recipe if self.recipe is not None else sample_recipe(self.spec, sample_rng(seed, index))


def parse_degradation(data: object, where: str) -> Degradation:
    """A spec, applied recipe or sidecar mapping (as loaded from YAML/JSON) as a validated :class:`Degradation`."""
    if isinstance(data, dict) and "steps" in data:
        return Degradation(recipe=Recipe.from_dict(data, where))
    if isinstance(data, dict) and "recipe" in data and not {"op", "policy", "items"} & set(data):
        return Degradation(recipe=Recipe.from_dict(data["recipe"], f"{where}: recipe"))
    validate_spec(data, where)
    return Degradation(spec=data)


def load_degradation(path: str | Path, option: str = "--recipe") -> Degradation:
    """Read ``path`` (see module docstring); a missing file or malformed YAML raises a one-line InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{option} {path}: no such file; pass a spec, applied recipe or sidecar (.yaml/.json)")
    try:
        data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"{option} {path}: not valid YAML/JSON ({' '.join(str(exc).split())[:200]})") from None
    return parse_degradation(data, str(path))
