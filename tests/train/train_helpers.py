"""Helpers of the trainer tests (a uniquely named module: test folders share one import path)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from train import TrainConfig


def at(cfg: TrainConfig, out: Path, **changes) -> TrainConfig:
    """``cfg`` writing into ``out``, with ``changes``."""
    return replace(cfg, out=str(out), **changes)
