"""The layers import only downwards: restorebench <- degrade <- models <- benchmark <- train (read from the
source with ast, so an import inside a function counts too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "restorebench": {"degrade", "models", "benchmark", "train"},
    "degrade": {"models", "benchmark", "train"},
    "models": {"benchmark", "train"},
    "benchmark": {"train"},
}


def imported_packages(path: Path) -> set[str]:
    """Top-level package names imported anywhere in a module."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_downwards(layer):
    offenders = {str(p.relative_to(REPO)): sorted(imported_packages(p) & FORBIDDEN[layer])
                 for p in sorted((REPO / layer).rglob("*.py"))}
    assert {k: v for k, v in offenders.items() if v} == {}
