"""Fixtures for the trainer tests: a tiny corpus of bundled photos and a fast training config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from degrade.corpus import folder_source, generate
from degrade.corpus.config import parse_config
from train import TrainConfig

CORPUS_CONFIG = {
    "seed": 3,
    "tasks": [
        {"name": "noise", "weight": 2, "spec": {"op": "noise.gaussian", "ranges": {"sigma": [15, 50]}}},
        {"name": "rain", "weight": 1, "spec": {"op": "rain.streaks", "severity": 2}},
    ],
    "patches": {"mode": "random", "size": 32, "per_image": 4},
}


@pytest.fixture(scope="session")
def source_folder(tmp_path_factory) -> Path:
    """Three bundled scikit-image photos, downscaled by 4, as PNG files."""
    from skimage import data

    root = tmp_path_factory.mktemp("train_src")
    for i, img in enumerate((data.astronaut(), data.coffee(), data.chelsea())):
        Image.fromarray(np.ascontiguousarray(img[::4, ::4])).save(root / f"photo{i}.png")
    return root


@pytest.fixture(scope="session")
def spec_file(tmp_path_factory) -> Path:
    """The tiny corpus config as a YAML file (for on-the-fly training)."""
    import yaml

    path = tmp_path_factory.mktemp("train_spec") / "corpus.yaml"
    path.write_text(yaml.safe_dump(CORPUS_CONFIG))
    return path


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, source_folder) -> Path:
    """A 12-sample corpus (32 px noise and rain pairs) written by ``generate``."""
    root = tmp_path_factory.mktemp("train_corpus") / "c"
    generate(folder_source(source_folder), root, parse_config(CORPUS_CONFIG), progress=False)
    return root


@pytest.fixture
def fast(corpus, tmp_path) -> TrainConfig:
    """Four steps of the small PromptIR on 16 px patches, batch 2, a checkpoint every 2 steps."""
    return TrainConfig(model="promptir", size="small", corpus=str(corpus), out=str(tmp_path / "run"), steps=4,
                       batch=2, patch=16, warmup=2, val_every=2, ckpt_every=2, keep=2, val_count=2, progress=False)
