"""Imports of the optional diffusion dependencies with one-line errors naming the install command."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from restorebench.errors import InputError

INSTALL = "pip install 'restorebench[diffusion]'"
PACKAGES = {"diffusers": "diffusers", "open_clip": "open_clip_torch"}
"""Import name -> PyPI name of the optional dependencies of the diffusion-based restorers."""


def optional(name: str) -> ModuleType:
    """The module ``name`` (``diffusers`` or ``open_clip``); InputError naming the install command if absent."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise InputError(f"{PACKAGES[name]} is not installed ({exc}); {INSTALL}") from exc


def missing() -> list[str]:
    """PyPI names of the optional diffusion dependencies that are not importable here."""
    return [pip for name, pip in PACKAGES.items() if importlib.util.find_spec(name) is None]
