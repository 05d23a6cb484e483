"""Fixtures for the corpus tests: a source folder of bundled photos plus bad files, and the cheap config."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_helpers import CONFIG, photos, save_rgb, write_bad_sources

from degrade.corpus.config import parse_config


@pytest.fixture(scope="session")
def source_dir(tmp_path_factory) -> Path:
    """Four good photos (two in a subfolder) and seven bad files."""
    root = tmp_path_factory.mktemp("src")
    for i, img in enumerate(photos()):
        save_rgb(root / ("sub" if i % 2 else "") / f"photo{i}.png", img)
    write_bad_sources(root)
    return root


@pytest.fixture(scope="session")
def config():
    """The cheap test config (three gaussian-noise tasks, 48 px patches, 3 per image, max 100k pixels)."""
    return parse_config({**CONFIG, "sources": {"max_pixels": 100_000}})
