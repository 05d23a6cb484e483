"""Report pieces beyond the leaderboard table: parameters and MACs of learned methods (measured, cached)."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest
import torch

from benchmark import complexity


class ConvRestorer:
    """A restorer holding one 3->3 3x3 convolution, with the registry inputs of ``info``."""

    def __init__(self, info: object = None) -> None:
        self.module = torch.nn.Conv2d(3, 3, 3, padding=1)
        self.info = info or SimpleNamespace(accepts_prompt=False, inputs={})
        self.received: list[dict] = []

    def __call__(self, x: torch.Tensor, **cond: object) -> torch.Tensor:
        self.received.append(cond)
        return self.module(x)


def test_params_and_macs_of_a_convolution():
    got = complexity.measure(ConvRestorer(), size=32)
    # 3x3x3 weights per output channel plus 3 biases; one MAC per weight per output pixel
    assert got == {"params": 3 * 3 * 3 * 3 + 3, "macs": 3 * 3 * 3 * 3 * 32 * 32}


def test_conditioned_methods_are_measured_with_their_declared_inputs():
    import models

    restorer = ConvRestorer(models.info("defusion-tiny-aio3"))
    got = complexity.measure(restorer, size=32)
    assert got["macs"] == 3 * 3 * 3 * 3 * 32 * 32
    (cond,) = restorer.received
    assert set(cond) == {"instruction"} and cond["instruction"].shape == (1, 3, 112, 112)  # inputs.instruction.size
    whole = complexity.probe_conditioning(SimpleNamespace(inputs={"instruction": "image"}, accepts_prompt=False))
    assert whole["instruction"].shape == (1, 3, 224, 224)  # instruction: image -> the default ground's 224 px
    prompted = ConvRestorer(models.info("autodir-task-prompt"))
    complexity.measure(prompted, size=32)
    assert prompted.received == [{"prompt": ["noise"]}]


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

    class NeedsPrompt(ConvRestorer):
        def __call__(self, x: torch.Tensor) -> torch.Tensor:
            raise TypeError("forward() missing 1 required argument: 'prompt'")

    monkeypatch.setattr(models, "load", lambda name, device: NeedsPrompt())
    assert complexity.method_complexity("promptir-small-aio3", "needs-prompt", tmp_path) is None
    assert json.loads((tmp_path / "complexity" / "needs-prompt.json").read_text()) == {}
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


def test_severity_levels_name_the_physical_parameter():
    from benchmark.report import severity_levels
    from benchmark.suites import load_suite

    aio3 = load_suite("aio3", ["data_root=."])
    assert severity_levels(list(aio3.tasks)) == {"noise15": "sigma 15", "noise25": "sigma 25", "noise50": "sigma 50"}
    jpeg = severity_levels(list(load_suite("jpeg-live1", ["data_root=."]).tasks))
    assert jpeg == {"q10": "quality 10", "q20": "quality 20", "q30": "quality 30", "q40": "quality 40"}
    sweep = load_suite("severity", ["data_root=."])
    levels = severity_levels([t for t in sweep.tasks if t.group == "noise.gaussian"])
    assert levels["noise.gaussian@s1"] == "sigma 8" and levels["noise.gaussian@s5"] == "sigma 50"


def test_report_protocols_side_by_side_gallery_and_per_image_csv(tmp_path):
    """The gap table equals the difference of per-protocol PSNRs computed here; crops are lossless PNG linking to
    the full-size files; the input's own score is shown; per-image results come as CSV too."""
    import numpy as np
    import pandas as pd

    from benchmark.metrics import build_metric
    from benchmark.report import write_report
    from benchmark.runner import Method, run_suite
    from benchmark.suites.schema import build_suite
    from restorebench.imageio import read_image

    suite = build_suite({
        "name": "protos", "data_root": ".", "protocol": "rgb", "compare_protocols": ["basicsr"],
        "metrics": ["psnr"], "gallery": {"images": 1, "crop": 24},
        "task_defaults": {"source": "skimage:astronaut,coffee", "crop": 48, "seed": 0},
        "tasks": {"n": {"spec": {"op": "noise.gaussian", "params": {"sigma": 25.0}}}},
    })
    blur = lambda img: (img + np.roll(img, 1, axis=0) + np.roll(img, 1, axis=1)) / 3
    rr = run_suite(suite, [Method("identity", lambda: lambda x: x), Method("blur", lambda: blur)],
                   tmp_path / "w", tmp_path / "c", quiet=True)
    paths = write_report(rr, tmp_path / "r")
    out = tmp_path / "r"
    # protocols.csv: per (method, task) the mean PSNR under each protocol, recomputed here from the files
    means = pd.read_csv(out / "protocols.csv").set_index("method")
    td = rr.data["n"]
    for method in ("identity", "blur"):
        for protocol in ("rgb", "basicsr"):
            metric = build_metric("psnr", protocol)
            values = [float(metric.score(*(torch.from_numpy(read_image(p)).permute(2, 0, 1)[None] for p in (
                rr.output_path(method, "n", it.image_id), it.target)))) for it in td.items]
            assert means.at[method, protocol] == pytest.approx(np.mean(values), abs=1e-4)
    gap = (means["basicsr"] - means["rgb"]).agg(["mean", "min", "max"])
    md = paths["md"].read_text()
    assert "## Protocols side by side" in md and "psnr under each protocol minus psnr under rgb" in md
    row = next(line for line in md.splitlines() if line.startswith("| n |"))
    assert row == f"| n | {gap['mean']:+.2f} ({gap['min']:+.2f}..{gap['max']:+.2f}) |"
    assert "results.csv" in md and "protocols.csv" in paths["html"].read_text()
    # per-image results as CSV, equal to the parquet
    as_csv = pd.read_csv(paths["results_csv"], dtype={"image_id": str})
    as_parquet = pd.read_parquet(paths["results"])
    assert list(as_csv.columns) == list(as_parquet.columns)
    keys = ["method", "task", "image_id", "metric", "status"]
    assert as_csv[keys].equals(as_parquet[keys])
    np.testing.assert_allclose(as_csv["value"], as_parquet["value"], rtol=1e-5)
    # gallery: lossless PNG crops equal to the output's pixels, each linking to its full-size file
    gallery = paths["gallery"].read_text()
    crops = sorted((out / "gallery").rglob("*"))
    assert crops and all(p.suffix == ".png" for p in crops if p.is_file())
    blur_crop = next(p for p in crops if p.name.endswith("__blur.png"))
    full = rr.output_path("blur", "n", td.items[0].image_id)
    assert f'href="{os.path.relpath(full, out)}"' in gallery
    crop = read_image(blur_crop)
    whole = read_image(full)
    assert any(np.array_equal(crop, whole[i:i + 24, j:j + 24]) for i in range(25) for j in range(25))
    ident_psnr = rr.results.query("method == 'identity' and image_id == @td.items[0].image_id")["value"].item()
    assert f"input<br>psnr {ident_psnr:.2f}" in gallery
