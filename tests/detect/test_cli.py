"""``restorebench detect`` and ``restorebench auto`` on folders with bad files, and ``auto`` as a registry entry."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

import models
from degrade.labels import DEGRADATIONS, LABELS
from restorebench.cli import main as cli
from restorebench.errors import InputError


@pytest.fixture
def folder(tmp_path, astronaut):
    """good.png (96x96), tiny.png (20x20: a valid image, too small to judge) and broken.png (not an image)."""
    root = tmp_path / "in"
    root.mkdir()
    Image.fromarray((astronaut[:96, 100:196] * 255).astype(np.uint8)).save(root / "good.png")
    Image.fromarray((astronaut[:20, :20] * 255).astype(np.uint8)).save(root / "tiny.png")
    (root / "broken.png").write_bytes(b"not a png at all")
    return root


@pytest.fixture
def identity_table(tmp_path):
    path = tmp_path / "methods.yaml"
    path.write_text("".join(f"{k}: identity\n" for k in DEGRADATIONS))
    return path


def test_detect_reports_bad_images_per_image_and_goes_on(folder, tmp_path, capsys):
    out = tmp_path / "d.parquet"
    assert cli(["detect", str(folder), "--out", str(out), "--weights", "random"]) == 1
    table = pd.read_parquet(out).set_index("file")
    assert list(table.index) == ["broken.png", "good.png", "tiny.png"]
    assert table.loc["good.png", "error"] == "" and table.loc["good.png", "dominant"] in LABELS
    assert all(0 <= table.loc["good.png", f"p_{k}"] <= 1 for k in LABELS)
    assert "too small" in table.loc["tiny.png", "error"] and table.loc["broken.png", "error"]
    captured = capsys.readouterr()
    assert "3 images, 1 judged, 2 failed" in captured.out and "tiny.png: failed" in captured.err


def test_detect_refuses_other_table_formats(folder, tmp_path):
    assert cli(["detect", str(folder), "--out", str(tmp_path / "d.txt"), "--weights", "random"]) == 2


def test_auto_restores_what_it_can_and_logs_every_image(folder, tmp_path, identity_table):
    out = tmp_path / "out"
    assert cli(["auto", str(folder), str(out), "--methods", str(identity_table), "--steps", "2"]) == 1
    assert (out / "good.png").is_file() and not (out / "tiny.png").exists()
    records = {r["file"]: r for r in map(json.loads, (out / "auto-log.jsonl").read_text().splitlines())}
    assert set(records) == {"good.png", "tiny.png", "broken.png"}
    assert "error" in records["tiny.png"] and "error" in records["broken.png"]
    steps = records["good.png"]["steps"]
    assert steps[0]["step"] == 0 and steps[-1]["note"].startswith("stop:") and len(steps) <= 3
    assert all(set(s["probabilities"]) == set(LABELS) for s in steps)


def test_auto_is_a_registry_method_with_a_log_per_image(astronaut, identity_table):
    auto = models.load("auto", table=str(identity_table), max_steps=1)
    x = torch.from_numpy(np.ascontiguousarray(astronaut[:64, :64])).permute(2, 0, 1)[None].repeat(2, 1, 1, 1)
    y = auto(x)
    assert y.shape == x.shape and len(auto.last_logs) == 2 and all(log[-1].note for log in auto.last_logs)
    assert "auto" in models.list_models(task="haze")
    with pytest.raises(InputError, match="max_steps"):
        models.load("auto", max_steps=0)
    with pytest.raises(InputError, match="unknown option"):
        models.load("auto", steps=2)


def test_a_detector_is_no_restorer(shared):
    detectors = ["detector-cnn", "detector-cnn-drops"]
    assert "detector-cnn" not in models.list_models() and models.list_models(family="detector") == detectors
    with pytest.raises(InputError, match="not a restorer"):
        models.load("detector-cnn")


def test_autos_availability_is_that_of_its_own_detector():
    import dataclasses

    from models.detect.auto import AutoRestorer

    auto = models.info("auto")
    other = dataclasses.replace(auto, args={**auto.args, "detector": "detector-cnn-drops"})
    assert AutoRestorer.available(auto)[1].startswith(f"detector {auto.args['detector']}:")
    assert AutoRestorer.available(other)[1].startswith("detector detector-cnn-drops:")
