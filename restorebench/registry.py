"""One registry shape for operators, metrics, models and suites (timm / torchmetrics style).

A :class:`Registry` maps names to things of one kind. Things arrive three ways:

- added by :meth:`Registry.add` (through each kind's decorator, ``degrade.register`` and
  ``benchmark.metrics.base.register_metric``, or read from files: models, suites), found without
  hand-kept import lists (``discover``: :func:`import_submodules` over a package, or a file scan);
- registered by another installed package through a Python entry point of the group
  ``restorebench.<kind>s`` (``restorebench.operators``, ``restorebench.metrics``, ``restorebench.models``,
  ``restorebench.suites``): loading the entry point imports its module, whose decorators register, and the
  loaded object is handed to the registry's ``plugin`` hook (models: a mapping of registry entries; suites:
  a folder of suite YAML files);
- looked up by :meth:`Registry.get` (unknown names: a one-line InputError with close names) and listed by
  :meth:`Registry.list` (shell patterns and field filters).
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import pkgutil
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from restorebench.errors import InputError

T = TypeVar("T")


def import_submodules(package: str) -> None:
    """Import every module and subpackage directly inside ``package`` (importing registers their things)."""
    pkg = importlib.import_module(package)
    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{package}.{mod.name}")


def _field_equals(kind: str, obj: Any, key: str, value: Any) -> bool:
    if not hasattr(obj, key):
        raise InputError(f"{kind} filter {key!r}: {kind}s have no such field")
    return getattr(obj, key) == value


class Registry(Generic[T]):
    """Names -> things of one ``kind`` (see the module docstring).

    ``discover`` fills the registry on first use; ``plugin(name, obj)`` receives each loaded entry point of
    the group ``restorebench.<kind>s``; ``match(obj, key, value)`` decides a :meth:`list` filter (default:
    the attribute ``key`` equals ``value``); ``sort`` lists names sorted rather than in registration order;
    ``hint`` replaces the list of known names in the unknown-name error when no name is close.
    """

    def __init__(self, kind: str, discover: Callable[[], None] | None = None,
                 plugin: Callable[[str, Any], None] | None = None,
                 match: Callable[[T, str, Any], bool] | None = None, sort: bool = True, hint: str = "") -> None:
        self.kind = kind
        self.group = f"restorebench.{kind}s"
        self._discover = discover
        self._plugin = plugin
        self._match = match or (lambda obj, key, value: _field_equals(kind, obj, key, value))
        self._sort = sort
        self._hint = hint
        self._items: dict[str, T] = {}
        self._discovered = False
        self._plugins_seen: set[str] = set()

    def add(self, name: str, obj: T, origin: str = "") -> T:
        """Register ``obj`` under ``name`` (the same object twice is fine; another one is an InputError naming
        ``origin``, the file or entry point being read)."""
        if name in self._items and self._items[name] is not obj:
            raise InputError(f"{origin + ': ' if origin else ''}{self.kind} {name!r} is defined twice")
        self._items[name] = obj
        return obj

    def _load(self) -> None:
        if not self._discovered:
            self._discovered = True
            if self._discover is not None:
                self._discover()
        for ep in entry_points(group=self.group):
            key = f"{ep.name}={ep.value}"
            if key not in self._plugins_seen:
                self._plugins_seen.add(key)
                obj = ep.load()
                if self._plugin is not None:
                    self._plugin(ep.name, obj)

    def get(self, name: str) -> T:
        """The thing registered as ``name``; unknown names raise a one-line InputError with close names."""
        if name not in self._items or not self._discovered:
            self._load()
        if name not in self._items:
            close = difflib.get_close_matches(str(name), list(self._items), n=5, cutoff=0.4)
            if close:
                tail = f"did you mean {', '.join(close)}?"
            else:
                tail = self._hint or f"known: {', '.join(sorted(self._items))}"
            raise InputError(f"unknown {self.kind} {name!r}; {tail}")
        return self._items[name]

    def list(self, pattern: str | Sequence[str] = "*", exclude: str | Sequence[str] = (), **filters: Any) -> list[str]:
        """Names matching any shell ``pattern`` and no ``exclude`` pattern whose fields equal the ``filters``
        (None skips a filter)."""
        self._load()
        pats = [pattern] if isinstance(pattern, str) else list(pattern)
        excl = [exclude] if isinstance(exclude, str) else list(exclude)
        wanted = {k: v for k, v in filters.items() if v is not None}
        names = [n for n, obj in self._items.items()
                 if any(fnmatch.fnmatch(n, p) for p in pats) and not any(fnmatch.fnmatch(n, p) for p in excl)
                 and all(self._match(obj, k, v) for k, v in wanted.items())]
        return sorted(names) if self._sort else names

    def items(self) -> dict[str, T]:
        """Every registered name and thing (a copy, in registration order)."""
        self._load()
        return dict(self._items)
