"""Registry of operators by dotted name ("noise.gaussian"); ``@register`` adds one, ``get`` finds one."""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
from collections.abc import Callable

from degrade.operator import Operator
from restorebench.errors import InputError

_OPS: dict[str, type[Operator]] = {}
_loaded = False


def register(name: str) -> Callable[[type[Operator]], type[Operator]]:
    """Class decorator: register an Operator subclass under ``name`` (``family.kind``)."""

    def deco(cls: type[Operator]) -> type[Operator]:
        if name in _OPS and _OPS[name] is not cls:
            raise ValueError(f"operator {name!r} is registered twice")
        cls.name = name
        cls.family = name.split(".")[0]
        _OPS[name] = cls
        return cls

    return deco


def _load_all() -> None:
    global _loaded
    if not _loaded:
        import degrade.ops

        for mod in pkgutil.iter_modules(degrade.ops.__path__):
            importlib.import_module(f"degrade.ops.{mod.name}")
        _loaded = True


def get(name: str) -> Operator:
    """An instance of the operator registered as ``name``; unknown names raise InputError with suggestions."""
    _load_all()
    if name not in _OPS:
        close = [n for n in _OPS if n.split(".")[0] == name.split(".")[0]] or sorted(_OPS)
        raise InputError(f"unknown operator {name!r}; known: {', '.join(sorted(close))}")
    return _OPS[name]()


def list_ops(pattern: str = "*") -> list[str]:
    """Registered operator names matching a shell-style ``pattern`` (e.g. ``"noise.*"``), sorted."""
    _load_all()
    return sorted(n for n in _OPS if fnmatch.fnmatch(n, pattern))
