"""Fixtures of the models-core tests: a temporary registry of tiny networks, clean crops, degradations."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

TINY_ENTRIES = {
    "tiny-cnn": {"adapter": "core_tiny_nets:tiny_cnn", "args": {"depth": 4}, "receptive_field": 9,
                 "weights": [{"file": "tiny_cnn.pth", "sha256": None, "license": "Apache-2.0", "source": "tests"}]},
    "tiny-unshuffled": {"adapter": "core_tiny_nets:unshuffled", "size_multiple": 4, "receptive_field": 12},
    "tiny-sigma": {"adapter": "core_tiny_nets:sigma_map", "inputs": {"noise_level": "estimated"}},
    "tiny-gray-per-channel": {"adapter": "core_tiny_nets:gray_darken", "channels": 1, "gray_mode": "per_channel"},
    "tiny-gray-y": {"adapter": "core_tiny_nets:gray_darken", "channels": 1, "gray_mode": "y"},
    "tiny-conditioned": {"adapter": "core_tiny_nets:conditioned", "family": "all-in-one",
                         "inputs": {"prompt": "text", "instruction": "image"}},
}
"""Registry entries of the tiny test networks (common keys added by the fixture)."""


@pytest.fixture
def tiny_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Adds the tiny test networks to the registry (via $RESTOREBENCH_REGISTRY); tiny-cnn's weight file is
    written, with its real sha256, to a temporary $RESTOREBENCH_WEIGHTS folder. Returns that folder."""
    import torch
    from core_tiny_nets import tiny_cnn

    from restorebench.weights import sha256_file

    weights = tmp_path / "weights"
    (weights / "restoration").mkdir(parents=True)
    net = tiny_cnn(depth=4)
    ckpt = weights / "restoration" / "tiny_cnn.pth"
    torch.save(net.state_dict(), ckpt)
    common = {"family": "learned", "tasks": ["noise"], "paper": "test network", "code": {"license": "Apache-2.0"}}
    entries = {name: {**common, **copy.deepcopy(entry)} for name, entry in TINY_ENTRIES.items()}
    entries["tiny-cnn"]["weights"][0]["sha256"] = sha256_file(ckpt)
    reg = tmp_path / "tiny_registry.yaml"
    reg.write_text(yaml.safe_dump(entries, sort_keys=False))
    monkeypatch.setenv("RESTOREBENCH_REGISTRY", str(reg))
    monkeypatch.setenv("RESTOREBENCH_WEIGHTS", str(weights))
    return weights


@pytest.fixture(scope="session")
def clean_crops(request: pytest.FixtureRequest) -> list[np.ndarray]:
    """Three 160x160 float32 RGB crops: Kodak (kodim03, 05, 23) when ../shared exists, else scikit-image photos."""
    from restorebench.imageio import read_image

    try:
        kodak = request.getfixturevalue("shared") / "data" / "clean" / "Kodak24"
        imgs = [read_image(kodak / f"kodim{i:02d}.png") for i in (3, 5, 23)]
    except pytest.skip.Exception:
        from skimage import data

        imgs = [im.astype(np.float32) / 255.0 for im in (data.astronaut(), data.coffee(), data.chelsea())]
    return [np.ascontiguousarray(im[100:260, 200:360]) for im in imgs]
