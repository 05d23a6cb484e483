"""Registry of visual-ground elements by dotted name (``"regular.zone_plate"``), grouped as on TE42 charts.

An element is a factory ``fn(size, rng) -> size x size x 3 float32 RGB in [0,1]``: a square test-chart
element drawn at ``size`` pixels, with any variation (rotation, pitch, texture crop, leaf colours) drawn
from ``rng``. Adding an element is one decorated function::

    @element("regular.my_pattern")
    def my_pattern(size: int, rng: np.random.Generator) -> np.ndarray: ...

The group is the part before the dot and must be one of :data:`GROUPS`; the composed ``te42``
ground draws one element of each group.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np

from restorebench.errors import InputError

GROUPS = ("regular", "random", "natural", "colors")
"""Element groups in the order of the composed ground's quadrants (top-left, top-right, bottom-left, bottom-right)."""

ElementFn = Callable[[int, np.random.Generator], np.ndarray]

_ELEMENTS: dict[str, ElementFn] = {}
_DETERMINISTIC: set[str] = set()
_version = 0
_MODULES = ("regular", "random_textures", "natural", "colors")
_loaded = False


def element(name: str, uses_rng: bool = True) -> Callable[[ElementFn], ElementFn]:
    """Decorator: register ``fn(size, rng)`` as the element ``name`` (``group.kind``).

    ``uses_rng=False`` declares a deterministic element (a colour chart, the zone plate): it then has a
    single variant (see :mod:`degrade.grounds.bank`). The decorated function itself is returned unchanged.
    """
    group = name.split(".")[0]
    if group not in GROUPS or "." not in name:
        raise ValueError(f"element name {name!r} must be '<group>.<kind>' with group in {GROUPS}")

    def deco(fn: ElementFn) -> ElementFn:
        global _version
        known = _ELEMENTS.get(name)
        if known is not None and known is not fn:
            raise ValueError(f"element {name!r} is registered twice")
        _ELEMENTS[name] = fn
        if uses_rng:
            _DETERMINISTIC.discard(name)
        else:
            _DETERMINISTIC.add(name)
        _version += 1
        return fn

    return deco


def unregister(name: str) -> None:
    """Remove a registered element (used to replace a user texture folder); unknown names are ignored."""
    global _version
    if _ELEMENTS.pop(name, None) is not None:
        _DETERMINISTIC.discard(name)
        _version += 1


def version() -> int:
    """A counter that changes whenever an element is registered or removed (keys caches of grounds)."""
    _load_all()
    return _version


def _load_all() -> None:
    global _loaded
    if not _loaded:
        for mod in _MODULES:
            importlib.import_module(f"degrade.grounds.{mod}")
        _loaded = True


def get_element(name: str) -> ElementFn:
    """The element factory registered as ``name``; unknown names raise InputError listing the known ones."""
    _load_all()
    if name not in _ELEMENTS:
        raise InputError(f"unknown ground element {name!r}; known: {', '.join(list_elements())}")
    return _ELEMENTS[name]


def is_deterministic(name: str) -> bool:
    """Whether element ``name`` was registered with ``uses_rng=False`` (one drawing per size)."""
    get_element(name)
    return name in _DETERMINISTIC


def list_elements(group: str | None = None) -> list[str]:
    """Registered element names, sorted; ``group`` restricts them to one of :data:`GROUPS`."""
    _load_all()
    if group is not None and group not in GROUPS:
        raise InputError(f"unknown element group {group!r}; use one of {GROUPS}")
    return sorted(n for n in _ELEMENTS if group is None or n.split(".")[0] == group)
