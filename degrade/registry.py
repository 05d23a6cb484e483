"""Registry of operators by dotted name ("noise.gaussian"); ``@register`` adds one, ``get`` finds one.

Operators are found in every family package of ``degrade/ops/`` and in the modules that installed packages
name in the entry-point group ``restorebench.operators`` (see :mod:`restorebench.registry`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from degrade.operator import Operator
from restorebench.registry import Registry, import_submodules

OPERATORS: Registry[Operator] = Registry("operator", discover=lambda: import_submodules("degrade.ops"))
"""Operator instances by name (one shared, stateless instance per operator)."""


def register(name: str) -> Callable[[type[Operator]], type[Operator]]:
    """Class decorator: register an Operator subclass under ``name`` (``family.kind``)."""

    def deco(cls: type[Operator]) -> type[Operator]:
        cls.name = name
        cls.family = name.split(".")[0]
        OPERATORS.add(name, cls())
        return cls

    return deco


def get(name: str) -> Operator:
    """The operator registered as ``name``; unknown names raise InputError with suggestions."""
    return OPERATORS.get(name)


def list_ops(pattern: str = "*", **filters: Any) -> list[str]:
    """Registered operator names matching a shell-style ``pattern`` (e.g. ``"noise.*"``) and field
    ``filters`` (e.g. ``family="noise"``, ``stochastic=True``), sorted."""
    return OPERATORS.list(pattern, **filters)
