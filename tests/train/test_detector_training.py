"""Training the degradation detector with restorebench train: the loss falls, runs are reproducible, the
stream carries label and severity targets, and restoration-only settings are refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from train_helpers import at, losses_around_one_step

import models
from degrade.labels import LABELS, detection_targets, footprint
from models.detect import load_detector
from models.detect.net import degradation_cnn
from models.network import build_module
from restorebench.errors import InputError
from restorebench.seeding import torch_seeded
from train import TrainConfig, train
from train.data import TrainStream, label_vector
from train.losses import OBJECTIVES, objective_for
from train.stages import InitFrom

RECIPES = [
    {"steps": []},
    {"steps": [{"op": "noise.gaussian", "params": {"sigma": 25.0, "gray": False, "seed": 1}}]},
    {"steps": [{"op": "jpeg.compress", "params": {"quality": 10, "subsampling": "420"}},
               {"op": "rain.drops", "params": {"density": 5.0, "radius": 12.0, "zoom": 3.0, "blur": 2.0, "seed": 4}}]},
    {"steps": [{"op": "lowlight.darken", "params": {"factor": 0.15, "gamma": 1.2, "photons": 600.0,
                                                    "read_noise": 4.0, "bayer": True, "seed": 3}}]},
]


def _batch() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(7)
    targets = [detection_targets(r) for r in RECIPES]
    batch = {k: torch.stack([torch.from_numpy(t[k]) for t in targets]) for k in targets[0]}
    marks = [footprint(r, 32, 32) for r in RECIPES]
    batch["footprint"] = torch.stack([torch.zeros(1, 32, 32) if m is None else torch.from_numpy(m)[None] for m in marks])
    assert batch["footprint"].amax() > 0.5
    return {"lq": torch.rand(len(RECIPES), 3, 32, 32, generator=g), **batch}


def test_the_detector_trains_with_the_detector_objective():
    obj = objective_for(models.info("detector-cnn").adapter)
    assert obj is OBJECTIVES["detector"] and obj.labels and obj.severity and not obj.restores


@pytest.mark.parametrize("drop_map", [False, True])
def test_one_step_lowers_the_detector_loss_on_a_fixed_batch(drop_map):
    obj = OBJECTIVES["detector"]
    with torch_seeded(0):
        net = build_module(models.info("detector-cnn"), "small") if not drop_map else degradation_cnn(drop_map=True)
    before, after, parts = losses_around_one_step(obj, net, _batch())
    assert after < before
    assert set(parts) == {"bce", "severity", "sigma", "quality"} | ({"drop_map"} if drop_map else set())


def test_the_drop_map_is_a_first_stage_of_the_mapped_detector():
    first = objective_for(models.info("detector-drops").adapter)
    assert first is OBJECTIVES["detector-drops"] and first.severity and not first.restores and first.init is None
    second = objective_for("models.detect.net:mapped_degradation_cnn")
    assert second.init == InitFrom("detector-drops", "drop") and second.loss is OBJECTIVES["detector"].loss


def test_one_step_lowers_the_drop_stage_loss_on_a_fixed_batch():
    with torch_seeded(0):
        net = build_module(models.info("detector-drops"), "small")
    before, after, parts = losses_around_one_step(OBJECTIVES["detector-drops"], net, _batch())
    assert after < before and set(parts) == {"drop_map"}


def test_the_mapped_detector_trains_on_a_frozen_drop_stage(corpus, tmp_path):
    common = {"corpus": str(corpus), "steps": 2, "batch": 2, "patch": 32, "warmup": 1, "ckpt_every": 2,
              "progress": False}
    stage = train(TrainConfig(model="detector-drops", out=str(tmp_path / "drops"), **common))
    with pytest.raises(InputError, match="train that first"):
        train(TrainConfig(model="detector-cnn-drops", out=str(tmp_path / "none"), **common))
    run = train(TrainConfig(model="detector-cnn-drops", out=str(tmp_path / "det"), init=str(stage.weights), **common))
    first, final = torch.load(stage.weights, weights_only=True), torch.load(run.weights, weights_only=True)
    frozen = {k: v for k, v in final.items() if k.startswith("drop.")}
    assert frozen and all(torch.equal(v, first[k]) for k, v in frozen.items())  # batch-norm statistics too
    assert load_detector("detector-cnn-drops", weights=run.weights).module.drop is not None


@pytest.fixture
def detector_run(corpus, tmp_path) -> TrainConfig:
    """Two steps of the detector on 32 px patches, batch 2."""
    return TrainConfig(model="detector-cnn", corpus=str(corpus), out=str(tmp_path / "run"), steps=2, batch=2,
                       patch=32, warmup=1, ckpt_every=2, progress=False)


def test_detector_training_is_deterministic_for_a_seed(detector_run, tmp_path):
    a = train(detector_run)
    b = train(at(detector_run, tmp_path / "again"))
    assert a.sha256 == b.sha256 and a.summary["val_psnr"] is None
    assert "load_detector('detector-cnn'" in a.summary["load"]
    assert train(at(detector_run, tmp_path / "seed1", seed=1)).sha256 != a.sha256
    assert load_detector("detector-cnn", weights=a.weights).info.name == "detector-cnn"


def test_a_detector_is_not_validated_on_restoration_pairs(detector_run, corpus):
    with pytest.raises(InputError, match="restores nothing"):
        train(at(detector_run, detector_run.out, val=str(corpus)))


def test_the_stream_carries_severity_targets(corpus):
    from degrade.corpus import PairedCorpus

    pairs = PairedCorpus(corpus)
    stream = TrainStream(pairs, range(len(pairs)), 0, 32, classes=LABELS, severity=True)
    item = stream[0]
    assert item["labels"].shape == item["severity"].shape == (len(LABELS),)
    assert torch.equal(item["labels"], label_vector(pairs[int(stream.order(0)[0])]["recipe"], LABELS))
    assert item["sigma"].shape == item["quality"].shape == (1,)
    with pytest.raises(InputError, match="need the label classes"):
        TrainStream(pairs, range(len(pairs)), 0, 32, severity=True)


def test_the_target_table_computes_each_sample_once_and_hands_out_copies():
    from train.data import TargetTable

    calls = []
    table = TargetTable(3)

    def compute(v: float):
        calls.append(v)
        return {"labels": np.full(4, v, np.float32), "sigma": np.array([v], np.float32)}

    first = table.get(2, lambda: compute(1.0))
    first["labels"].zero_()
    again = table.get(2, lambda: compute(9.0))
    assert calls == [1.0] and torch.equal(again["labels"], torch.ones(4)) and again["sigma"].shape == (1,)
    assert table.get(0, lambda: compute(5.0))["sigma"].item() == 5.0 and calls == [1.0, 5.0]


def test_the_streams_targets_are_the_same_in_every_epoch(corpus):
    from degrade.corpus import PairedCorpus

    pairs = PairedCorpus(corpus)
    stream = TrainStream(pairs, range(len(pairs)), 0, 32, classes=LABELS, severity=True)
    n = len(stream)
    for k in range(n):
        later = int(np.flatnonzero(stream.order(1) == stream.order(0)[k])[0]) + n
        for key in ("labels", "severity", "sigma", "quality"):
            assert torch.equal(stream[k][key].nan_to_num(-1), stream[later][key].nan_to_num(-1)), key


def test_the_stream_labels_only_the_steps_that_changed_the_image(astronaut):
    from degrade.spec import sample_recipe
    from restorebench.seeding import sample_rng

    gt = astronaut[:32, :32]
    recipe = sample_recipe({"policy": "chain", "items": [
        {"op": "rain.drops", "params": {"density": 0.05, "radius": 4.0, "zoom": 2.0, "blur": 1.0}},
        {"op": "jpeg.compress", "params": {"quality": 10}}]}, sample_rng(0, 0))
    pixels = torch.from_numpy(gt).permute(2, 0, 1).contiguous()
    pairs = [{"id": "a", "lq": pixels, "gt": pixels, "recipe": recipe.to_json()}]
    item = TrainStream(pairs, [0], 0, 32, classes=LABELS, severity=True)[0]
    assert {k for k, v in zip(LABELS, item["labels"].tolist()) if v} == {"jpeg"}
    assert item["labels"][LABELS.index("raindrop")] == 0 and label_vector(recipe.to_json(), LABELS)[
        LABELS.index("raindrop")] == 1


def test_the_stream_carries_the_drops_footprint_where_the_drops_changed_the_image(astronaut):
    from degrade.recipe import replay
    from degrade.spec import sample_recipe
    from restorebench.seeding import sample_rng

    gt = astronaut[:96, :96]
    recipe = sample_recipe({"op": "rain.drops", "params": {"density": 5.0, "radius": 8.0, "zoom": 2.0, "blur": 1.0}},
                           sample_rng(0, 0))
    pairs = [{"id": "a", "lq": torch.from_numpy(replay(gt, recipe)).permute(2, 0, 1).contiguous(),
              "gt": torch.from_numpy(gt).permute(2, 0, 1).contiguous(), "recipe": recipe.to_json()}]
    stream = TrainStream(pairs, [0], 0, 64, classes=LABELS, severity=True)
    with_drops = 0
    for k in range(6):
        item = stream[k]
        mark = item["footprint"][0]
        changed = (item["lq"] - item["gt"]).abs().amax(0)
        assert mark.shape == (64, 64) and 0 <= mark.min() and mark.max() <= 1
        if (mark > 0.99).any():
            with_drops += 1
            assert changed[mark > 0.99].mean() > 0.02 and changed[mark == 0].mean() < changed[mark > 0.99].mean() / 3
    assert with_drops >= 3
    clean = [{"id": "b", "lq": pairs[0]["gt"], "gt": pairs[0]["gt"], "recipe": '{"steps": []}'}]
    assert not TrainStream(clean, [0], 0, 64, classes=LABELS, severity=True)[0]["footprint"].any()
