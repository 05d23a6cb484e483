"""The shipped detector: bundled, at most 5 MB, verified, with its training record, and right on clear cases."""

from __future__ import annotations

import pytest

import degrade
import models
from models.detect import load_detector
from models.registry import BUNDLED_WEIGHTS
from restorebench.seeding import sample_rng
from restorebench.weights import locate, sha256_file


@pytest.mark.parametrize("name", ["detector-cnn", "detector-cnn-drops"])
def test_bundled_small_verified_and_described(name):
    info = models.info(name)
    (wf,) = info.weights
    path = locate(wf)
    assert path is not None and path.parent == BUNDLED_WEIGHTS
    assert path.stat().st_size <= 5_000_000 and sha256_file(path) == wf.sha256
    assert wf.license == "Apache-2.0" and info.license_opt_in is None
    assert {"command", "corpus", "sources", "seed", "steps", "budget"} <= set(info.training)
    assert f"restorebench train --model {name} " in info.training["command"]
    assert "configs/train/detector.yaml" in info.training["corpus"]
    assert set(info.thresholds) == set(info.tasks) - {"clean"}  # calibrated (benchmark.detector_thresholds)


@pytest.mark.parametrize("op, severity, label", [("noise.gaussian", 5, "noise"), ("lowlight.darken", 4, "lowlight"),
                                                 ("blur.gaussian", 4, "blur"), ("jpeg.compress", 5, "jpeg")])
def test_clear_single_degradations_are_named(astronaut, op, severity, label):
    clean = astronaut[96:352, 128:384]
    degraded, _ = degrade.get(op)(clean, sample_rng(3, 0), severity=severity)
    found = load_detector().detect_image(degraded)
    assert found.dominant == label and label in found.present
