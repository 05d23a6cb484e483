"""Report pieces beyond the leaderboard table: parameters and MACs of learned methods (measured, cached)."""

from __future__ import annotations

import json

import pytest
import torch

from benchmark import complexity


class ConvRestorer:
    """A restorer holding one 3->3 3x3 convolution."""

    def __init__(self) -> None:
        self.module = torch.nn.Conv2d(3, 3, 3, padding=1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)


def test_params_and_macs_of_a_convolution():
    got = complexity.measure(ConvRestorer(), size=32)
    # 3x3x3 weights per output channel plus 3 biases; one MAC per weight per output pixel
    assert got == {"params": 3 * 3 * 3 * 3 + 3, "macs": 3 * 3 * 3 * 3 * 32 * 32}


def test_method_complexity_is_measured_once_and_cached(tmp_path, monkeypatch):
    import models

    built = []
    monkeypatch.setattr(models, "load", lambda name, device: built.append(name) or ConvRestorer())
    first = complexity.method_complexity("airnet-small-aio3", "airnet-key", tmp_path)
    assert built == ["airnet-small-aio3"] and first == complexity.measure(ConvRestorer())
    assert first["macs"] == 84 * 256 * 256 - 3 * 256 * 256  # the MACs are counted at 256x256
    assert json.loads((tmp_path / "complexity" / "airnet-key.json").read_text()) == first
    monkeypatch.setattr(models, "load", lambda *a, **k: pytest.fail("measured twice"))
    assert complexity.method_complexity("airnet-small-aio3", "airnet-key", tmp_path) == first
    assert complexity.method_complexity("identity", "identity", tmp_path) is None  # classical: no network
    assert complexity.format_count(1_234_567) == "1.23 M" and complexity.format_count(950) == "950"


def test_set_metrics_only_on_tasks_with_enough_images(tmp_path, monkeypatch):
    """FID-like metrics: one row per method and task over all its images, only on tasks of MIN_SET_IMAGES+,
    counted as that many images in the leaderboard, the minimum and the counts stated in the report."""
    import pandas as pd

    from benchmark import report, scoring
    from benchmark.harness import SET_ID
    from benchmark.leaderboard import build_leaderboard
    from benchmark.runner import Method, run_suite
    from benchmark.suites.schema import build_suite

    monkeypatch.setattr(scoring, "MIN_SET_IMAGES", 3)
    monkeypatch.setattr(report, "MIN_SET_IMAGES", 3)
    suite = build_suite({
        "name": "sets", "data_root": ".", "protocol": "rgb", "metrics": ["psnr", "fid"],
        "task_defaults": {"crop": 32, "seed": 0, "spec": {"op": "noise.gaussian", "params": {"sigma": 20.0}}},
        "tasks": {"big": {"source": "skimage:astronaut,coffee,chelsea"}, "small": {"source": "skimage:coffee"}},
    })
    calls = []

    def scorer(preds, targets, ids, metrics, protocol):
        calls.append((len(preds), tuple(metrics)))
        rows = [{"image_id": i, "metric": "psnr", "value": float(p.mean())} for p, i in zip(preds, ids)
                if "psnr" in metrics]
        if "fid" in metrics:
            rows.append({"image_id": SET_ID, "metric": "fid", "value": float(sum(p.mean() for p in preds))})
        return pd.DataFrame(rows)

    def run():
        return run_suite(suite, [Method("identity", lambda: lambda x: x)], tmp_path / "w", tmp_path / "c",
                         scorer=scorer, quiet=True)

    rr = run()
    fid = rr.results[rr.results["metric"] == "fid"]
    assert list(fid["task"]) == ["big"] and list(fid["image_id"]) == [SET_ID]
    assert sorted(calls) == [(1, ("psnr",)), (3, ("fid",)), (3, ("psnr",))]
    assert pd.read_parquet(next((tmp_path / "w" / "scores").rglob("big-*.parquet"))).query(
        "metric == 'fid'")["note"].item() == "3 images"
    run()
    assert len(calls) == 3  # all cached, the set metric too
    lb = build_leaderboard(rr.results, {"psnr": True, "fid": False}, rr.status)
    assert lb.counts.at["identity", ("big", "fid")] == 3
    assert report.set_metric_coverage(rr) == ("one value per method and task over all its restored images, "
                                              "scored only where a task has at least 3 images: on big (3); "
                                              "not on small (1)")
