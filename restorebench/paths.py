"""Paths read from files (manifests, sidecars, suites, records) are data: they must stay inside their root."""

from __future__ import annotations

import os
from pathlib import Path

from restorebench.errors import InputError


def inside(root: str | os.PathLike, rel: str | os.PathLike, what: str) -> Path:
    """``root/rel`` when ``rel`` is a relative path that stays inside ``root``; raises InputError otherwise.

    The check is on the text (``..`` steps collapsed): a file cannot name a place outside its root, while
    symbolic links the user made inside the root keep working. The error names ``what`` (the file read).
    """
    root = Path(root)
    if not isinstance(rel, (str, os.PathLike)) or not str(rel) or Path(rel).is_absolute():
        raise InputError(f"{what}: path {rel!r} must be relative to {root} and stay inside it")
    norm = os.path.normpath(rel)
    if norm == os.pardir or norm.startswith(os.pardir + os.sep):
        raise InputError(f"{what}: path {rel!r} leads outside {root}; paths read from this file must stay inside it")
    return root / norm
