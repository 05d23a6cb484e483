"""restorebench realism: equal budgets, peers trained on the same crops, a missing library reported, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from degrade import peers
from restorebench.errors import InputError
from train.realism import load_config, parse_config, run_realism, train_configs

pytest.importorskip("albumentations")


def _write(path: Path, img: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)).save(path)


@pytest.fixture
def realism_files(tmp_path, source_folder) -> Path:
    """A realism config training on three small photos and a suite of two noisy test pairs."""
    from skimage import data

    rng = np.random.default_rng(0)
    for i, img in enumerate((data.rocket(), data.cat())):
        clean = img[:64, :64].astype(np.float32) / 255
        _write(tmp_path / "test" / "target" / f"{i}.png", clean)
        _write(tmp_path / "test" / "input" / f"{i}.png", clean + rng.normal(0, 0.03, clean.shape))
    suite = {"name": "realism-tiny", "data_root": str(tmp_path), "protocol": "promptir", "metrics": ["psnr", "ssim"],
             "nr_metrics": [], "tasks": {"pairs": {"paired": {"input": "test/input", "target": "test/target"},
                                                   "kinds": ["noise"]}}}
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(suite))
    config = {
        "family": "noise", "sources": str(source_folder), "suite": str(tmp_path / "suite.yaml"),
        "corpus": {"seed": 0, "patches": {"mode": "random", "size": 32, "per_image": 2}},
        "train": {"model": "dncnn-color-blind", "size": "small", "seed": 0, "steps": 2, "batch": 2, "patch": 16,
                  "warmup": 1, "val_count": 1, "val_every": 2, "ckpt_every": 2},
        "synthesizers": {
            "restorebench": {"spec": {"op": "noise.gaussian", "ranges": {"sigma": [2.0, 12.0]}}},
            "albumentations": {"peer": "albumentations.GaussNoise", "params": {"std_range": [0.01, 0.05]}},
            "imagecorruptions": {"peer": "imagecorruptions.gaussian_noise", "params": {"severity": 1}},
        },
    }
    (tmp_path / "realism.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


def _without_imagecorruptions(monkeypatch) -> None:
    real = peers._library

    def library(name: str):
        if name == "imagecorruptions":
            raise InputError("imagecorruptions is not installed (pip install 'imagecorruptions==1.1.2')")
        return real(name)

    monkeypatch.setattr(peers, "_library", library)
    peers._resolve.cache_clear()
    monkeypatch.setattr(peers, "_resolve", peers._resolve.__wrapped__)


def test_every_synthesizer_gets_the_same_budget_and_crops(realism_files):
    cfg = load_config(realism_files / "realism.yaml")
    configs = train_configs(cfg, realism_files / "out")
    budgets = [{k: v for k, v in c.weights_defining().items() if k not in ("peer", "spec")} for c in configs.values()]
    assert all(b == budgets[0] for b in budgets)
    assert configs["restorebench"].peer is None
    changed = load_config(realism_files / "realism.yaml")
    changed.synthesizers["restorebench"]["spec"]["ranges"]["sigma"] = [3.0, 9.0]
    again = train_configs(changed, realism_files / "out")
    assert again["restorebench"].out != configs["restorebench"].out, "a changed synthesizer trains afresh"
    assert again["albumentations"].out == configs["albumentations"].out
    assert configs["albumentations"].peer == {"name": "albumentations.GaussNoise", "params": {"std_range": [0.01, 0.05]}}


@pytest.mark.parametrize("change, message", [
    ({"synthesizers": {"restorebench": {"spec": {"op": "noise.gaussian"}}, "x": {"peer": "kornia.RandomRain", "steps": 9}}},
     "synthesizers.x"),
    ({"train": {"model": "dncnn-color-blind", "out": "elsewhere"}}, "cannot be set here"),
    ({"synthesizers": {"x": {"peer": "kornia.RandomRain"}}}, "needs `restorebench"),
])
def test_a_config_cannot_give_one_synthesizer_its_own_budget(realism_files, change, message):
    raw = {**yaml.safe_load((realism_files / "realism.yaml").read_text()), **change}
    with pytest.raises(InputError, match=message):
        parse_config(raw, "realism.yaml", realism_files)


def test_peer_pairs_replay_from_the_seed_and_differ_from_ours():
    img = np.full((24, 24, 3), 0.5, np.float32)
    a = peers.synthesize("albumentations.GaussNoise", img, {"std_range": [0.05, 0.05]}, 7)
    assert np.array_equal(a, peers.synthesize("albumentations.GaussNoise", img, {"std_range": [0.05, 0.05]}, 7))
    assert not np.array_equal(a, peers.synthesize("albumentations.GaussNoise", img, {"std_range": [0.05, 0.05]}, 8))
    assert a.dtype == np.float32 and 0.0 <= a.min() and a.max() <= 1.0
    assert peers.unavailable("albumentations.NoSuchTransform") == "albumentations has no transform 'NoSuchTransform'"


def test_realism_runs_end_to_end_and_reports_a_missing_library(realism_files, monkeypatch, tmp_path):
    from models.registry import ENV_REGISTRY

    monkeypatch.delenv(ENV_REGISTRY, raising=False)  # restored after the test: run_realism adds its registry
    _without_imagecorruptions(monkeypatch)
    out = realism_files / "out"
    md = run_realism(realism_files / "realism.yaml", out, work=out / "work", cache=tmp_path / "cache", quiet=True)
    table = md.read_text()
    assert "| imagecorruptions | not installed: imagecorruptions is not installed" in table
    assert md == out / "report" / "realism.md"
    csv = (out / "report" / "realism.csv").read_text().splitlines()
    assert csv[0] == "synthesizer,status,pairs psnr,pairs ssim"
    rows = {line.split(",")[0]: line.split(",") for line in csv[1:]}
    assert set(rows) == {"identity (input)", "restorebench", "albumentations", "imagecorruptions"}
    for name in ("restorebench", "albumentations"):
        assert rows[name][1] == "trained" and np.isfinite(float(rows[name][2]))
    registry = yaml.safe_load((out / "registry.yaml").read_text())
    assert set(registry) == {"realism-noise-restorebench", "realism-noise-albumentations"}
    assert all(e["tasks"] == ["noise"] for e in registry.values())
    runs = {p.name.rsplit("-", 1)[0]: p for p in (out / "runs").iterdir()}
    assert set(runs) == {"restorebench", "albumentations"}
    recorded = [json.loads((runs[n] / "config.json").read_text()) for n in ("restorebench", "albumentations")]
    assert {k for k in recorded[0] if recorded[0][k] != recorded[1][k]} == {"out", "peer", "spec"}
    specs = [yaml.safe_load(Path(r["spec"]).read_text()) for r in recorded]
    assert specs[0] == specs[1], "every synthesizer crops by the same corpus config"
    assert (out / "report" / "leaderboard.md").is_file()
