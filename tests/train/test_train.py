"""The trainer: determinism, resume after a kill, the run folder, loading through the registry, bad input."""

from __future__ import annotations

import itertools
import json
import subprocess

import pytest
import torch
from train_helpers import at, losses_around_one_step

import models
from models.network import build_module
from restorebench.cli import main as cli
from restorebench.errors import InputError
from restorebench.seeding import torch_seeded
from train import TrainingDiverged, train
from train import loop as loop_module
from train.losses import OBJECTIVES, Objective, l1_loss
from train.schedule import learning_rate


def _batch(obj: Objective) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(5)
    gt = torch.rand(2, 3, 16, 16, generator=g)
    lq = (gt + 0.2 * torch.randn(2, 3, 16, 16, generator=g)).clamp(0, 1)
    return {"lq": lq, "gt": gt, **({"lq2": lq.flip(-1)} if obj.views == 2 else {}),
            **({"labels": torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])} if obj.labels else {})}


@pytest.mark.parametrize("model,objective", [("promptir", "l1"), ("airnet", "airnet"), ("rong", "rong")])
def test_one_step_lowers_the_loss_on_a_fixed_batch(model, objective):
    obj = OBJECTIVES[objective]
    with torch_seeded(0):
        net = build_module(models.info(model), "small")
        obj.prepare(net)
    before, after, parts = losses_around_one_step(obj, net, _batch(obj))
    assert after < before
    assert set(parts) >= {"l1"}


def test_same_seed_same_weights_and_a_complete_run_folder(fast, tmp_path):
    a = train(fast)
    b = train(at(fast, tmp_path / "again"))
    assert a.sha256 == b.sha256
    run = a.run
    for name in ("config.json", "data.json", "log.csv", "curves.png", "final.pth", "final.pth.sha256", "summary.json"):
        assert (run / name).is_file(), name
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["step-00000002.pt", "step-00000004.pt"]
    rows = (run / "log.csv").read_text().splitlines()
    assert len(rows) == 1 + fast.steps
    summary = json.loads((run / "summary.json").read_text())
    assert summary["sha256"] == a.sha256 and summary["val_psnr"] > 5
    assert (run / "final.pth.sha256").read_text().split()[0] == a.sha256
    other = train(at(fast, tmp_path / "seed1", seed=1))
    assert other.sha256 != a.sha256


def test_keep_limits_the_checkpoints(fast):
    result = train(at(fast, fast.out, steps=6, keep=1))
    assert [p.name for p in (result.run / "checkpoints").iterdir()] == ["step-00000006.pt"]


class Killed(Exception):
    """Stands in for SIGKILL: raised inside the loop, nothing after it runs."""


@pytest.mark.parametrize("kill_after", [1, 2, 3])
def test_resume_after_a_kill_ends_with_the_uninterrupted_weights(fast, tmp_path, monkeypatch, kill_after):
    whole = train(at(fast, tmp_path / "whole"))
    calls = {"n": 0}
    base = OBJECTIVES["l1"]

    def dying(model, batch):
        calls["n"] += 1
        if calls["n"] > kill_after:
            raise Killed
        return l1_loss(model, batch)

    monkeypatch.setattr(loop_module, "objective_for", lambda adapter: Objective("l1", 1, base.prepare, dying))
    cut = at(fast, tmp_path / "cut")
    with pytest.raises(Killed):
        train(cut)
    dead = subprocess.Popen(["true"])  # a process that has ended: its temporary file is stale
    dead.wait()
    (tmp_path / "cut" / "checkpoints").mkdir(exist_ok=True)
    (tmp_path / "cut" / "checkpoints" / f".step-00000004.pt.tmp-{dead.pid}.pt").write_bytes(b"half a checkpoint")
    with open(tmp_path / "cut" / "log.csv", "a") as f:
        f.write("9,0.5,0.1")  # a row cut by the kill
    monkeypatch.undo()
    with pytest.raises(InputError, match="--resume"):
        train(cut)
    resumed = train(cut, resume=True)
    assert resumed.sha256 == whole.sha256
    assert not list((tmp_path / "cut" / "checkpoints").glob(".*"))
    steps = [line.split(",")[0] for line in (tmp_path / "cut" / "log.csv").read_text().splitlines()[1:]]
    assert steps == ["1", "2", "3", "4"]


def test_resume_with_other_settings_is_refused(fast):
    train(fast)
    with pytest.raises(InputError, match="lr differ"):
        train(at(fast, fast.out, lr=1e-2), resume=True)


def test_on_the_fly_trains_on_the_corpus_pairs(fast, tmp_path, spec_file, source_folder):
    on_disk = train(fast)
    fly = train(at(fast, tmp_path / "fly", corpus=None, spec=str(spec_file), source=str(source_folder)))
    assert fly.sha256 == on_disk.sha256


def test_workers_give_the_same_weights(fast, tmp_path):
    assert train(at(fast, tmp_path / "w2", workers=2)).sha256 == train(fast).sha256


def test_final_weights_load_strictly_through_the_registry(fast, tmp_path, monkeypatch):
    result = train(fast)
    monkeypatch.delenv("RESTOREBENCH_ACADEMIC", raising=False)
    with pytest.raises(InputError, match="non-commercial"):
        models.load("promptir")  # the official (academic-license) weights still need the opt-in
    restorer = models.load("promptir", weights=result.weights)  # own weights on this project's code do not
    x = torch.rand(1, 3, 20, 28)
    assert restorer(x).shape == x.shape
    state = torch.load(result.weights, weights_only=True)
    state["state_dict"]["net.extra"] = torch.zeros(1)
    bad = tmp_path / "bad.pth"
    torch.save(state, bad)
    with pytest.raises(InputError, match="1 unexpected"):
        models.load("promptir", weights=bad)
    registry = tmp_path / "mine.yaml"
    assert cli(["train", "--model", "promptir", "--corpus", fast.corpus, "--out", str(tmp_path / "cli"), "--steps", "2",
                "--batch", "2", "--patch", "16", "--val-count", "2", "--no-progress", "--register", "promptir-mine",
                "--registry", str(registry)]) == 0
    monkeypatch.setenv("RESTOREBENCH_REGISTRY", str(registry))
    models.registry._read.cache_clear()
    try:
        mine = models.load("promptir-mine")
        assert mine.info.license_opt_in is None
        assert mine(x).shape == x.shape
    finally:
        monkeypatch.delenv("RESTOREBENCH_REGISTRY")
        models.registry._read.cache_clear()


def test_non_finite_loss_stops_keeps_the_last_checkpoint_and_names_the_step(fast, monkeypatch):
    calls = {"n": 0}
    base = OBJECTIVES["l1"]

    def exploding(model, batch):
        calls["n"] += 1
        loss, parts = l1_loss(model, batch)
        return (loss * float("nan") if calls["n"] == 3 else loss), parts

    monkeypatch.setattr(loop_module, "objective_for", lambda adapter: Objective("l1", 1, base.prepare, exploding))
    with pytest.raises(TrainingDiverged, match=r"step 3: loss is nan.*step-00000002\.pt"):
        train(fast)


@pytest.mark.parametrize("argv,message", [
    (["--model", "promptirr"], "did you mean promptir"),
    (["--model", "nlm"], "classical"),
    (["--model", "promptir", "--patch", "20"], "multiples of 8"),
    (["--model", "promptir", "--size", "huge"], "unknown size 'huge'"),
    (["--model", "promptir", "--steps", "0"], "steps=0"),
    (["--model", "promptir", "--lr", "nan"], "lr=nan"),
    (["--model", "promptir", "--val-count", "12"], "leaves none to train on"),
    (["--model", "promptir", "--patch", "64"], "smaller than the 64-pixel training patch"),
])
def test_bad_settings_give_one_line_and_exit_2(corpus, tmp_path, capsys, argv, message):
    out = tmp_path / "run"
    assert cli(["train", "--corpus", str(corpus), "--out", str(out), "--steps", "2", "--batch", "2", "--patch", "16",
                "--val-count", "2", "--no-progress", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_missing_and_corrupt_manifest_give_one_line(corpus, tmp_path, capsys):
    import shutil

    empty = tmp_path / "empty"
    empty.mkdir()
    broken = tmp_path / "broken"
    shutil.copytree(corpus, broken)
    (broken / "manifest.parquet").write_bytes(b"PAR1 not really")
    for root, word in ((empty, "neither a corpus folder"), (broken, "manifest")):
        assert cli(["train", "--model", "promptir", "--corpus", str(root), "--out", str(tmp_path / f"r-{root.name}"),
                    "--steps", "2", "--no-progress"]) == 2
        err = capsys.readouterr().err.strip()
        assert word in err and "\n" not in err
    assert not (tmp_path / "r-empty").exists()


def test_a_foreign_non_empty_out_folder_is_refused(fast, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not empty"):
        train(at(fast, out))
    assert (out / "notes.txt").read_text() == "keep me"


def test_schedule_warms_up_linearly_then_decays_to_the_floor():
    lrs = [learning_rate(s, 10, 1.0, 0.1, 4) for s in range(10)]
    assert lrs[:4] == [0.25, 0.5, 0.75, 1.0]
    assert lrs[4] == 1.0 and lrs[-1] == pytest.approx(0.1)
    assert all(a >= b for a, b in itertools.pairwise(lrs[3:]))


def test_label_vectors_name_the_recipe_families(corpus):
    from degrade.corpus import PairedCorpus
    from train.data import TrainStream, label_vector

    mixed = '{"steps": [{"op": "rain.streaks", "params": {}}, {"op": "noise.gaussian", "params": {"sigma": 25.0}}], "version": 1}'
    assert label_vector(mixed, ("noise", "haze", "rain")).tolist() == [1.0, 0.0, 1.0]
    assert label_vector('{"steps": [], "version": 1}', ("noise",)).tolist() == [0.0]
    pairs = PairedCorpus(corpus)
    stream = TrainStream(pairs, range(len(pairs)), 0, 32, classes=("noise", "rain"))
    item = stream[0]
    assert item["labels"].dtype == torch.float32 and item["labels"].shape == (2,)
    assert torch.equal(item["labels"], label_vector(pairs[int(stream.order(0)[0])]["recipe"], ("noise", "rain")))
    assert "labels" not in TrainStream(pairs, range(len(pairs)), 0, 32)[0]
