"""Runner end to end on a tiny suite: files written, leaderboard = means of per-image results, caches re-used,
a killed run resumes to the same result, a method failing on one image leaves the rest scored."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from benchmark.leaderboard import build_leaderboard, to_csv, to_markdown
from benchmark.report import write_report
from benchmark.runner import Method, registry_methods, run_suite
from benchmark.suites.schema import build_suite
from restorebench.errors import WeightsUnavailable
from restorebench.imageio import read_image

REPO = Path(__file__).resolve().parents[2]


def tiny_suite(photos: str = "astronaut,coffee", crop: int = 64):
    return build_suite(
        {
            "name": "tiny",
            "data_root": ".",
            "protocol": "rgb",
            "metrics": ["psnr", "ssim"],
            "task_defaults": {"source": f"skimage:{photos}", "crop": crop, "seed": 0},
            "tasks": {
                "noise15": {"spec": {"op": "noise.gaussian", "params": {"sigma": 15.0, "gray": False}}},
                "noise50": {"spec": {"op": "noise.gaussian", "params": {"sigma": 50.0, "gray": False}}},
            },
        }
    )


def smooth(img: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(img, (5, 5), 1.2)


class Counting:
    """Wraps a restore function; counts loads and calls."""

    def __init__(self, fn):
        self.fn, self.loads, self.calls = fn, 0, 0

    def loader(self):
        self.loads += 1

        def run(img):
            self.calls += 1
            return self.fn(img)

        return run


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)))


def test_tiny_suite_end_to_end_then_fully_cached(tmp_path):
    suite = tiny_suite()
    ident = registry_methods(["identity"])[0]
    counters = {"identity": Counting(ident.load()), "smooth": Counting(smooth)}

    def methods():
        return [
            Method("identity", counters["identity"].loader, ("all",)),
            Method("smooth", counters["smooth"].loader, ("noise",)),
        ]

    rr = run_suite(suite, methods(), tmp_path / "work", tmp_path / "cache", quiet=True)
    paths = write_report(rr, tmp_path / "report")
    for name in (
        "results.parquet",
        "leaderboard.md",
        "leaderboard.csv",
        "leaderboard.html",
        "gallery.html",
        "run.json",
        "plots/bars_psnr.png",
        "plots/bars_ssim.png",
    ):
        assert (tmp_path / "report" / name).is_file(), name
    assert counters["identity"].calls == 4 and counters["smooth"].calls == 4
    res = pd.read_parquet(paths["results"])
    assert len(res) == 2 * 2 * 2 * 2 and (res["status"] == "ok").all()
    # the leaderboard's numbers are the means of the per-image results
    lb = pd.read_csv(paths["csv"], comment="#").set_index("method")
    means = res.groupby(["method", "task", "metric"])["value"].mean()
    for (m, t, metric), v in means.items():
        arrow = "↑"
        assert lb.at[m, f"{t}/{metric}{arrow}"] == pytest.approx(v, rel=1e-5)
        assert lb.at[m, f"mean/{metric}{arrow}"] == pytest.approx(means[m][:, metric].mean(), rel=1e-5)
    # identity's PSNR is the input's PSNR against its ground truth, computed independently here
    td = rr.data["noise50"]
    for item in td.items:
        got = res[
            (res.method == "identity")
            & (res.task == "noise50")
            & (res.image_id == item.image_id)
            & (res.metric == "psnr")
        ]["value"].item()
        assert got == pytest.approx(psnr(read_image(item.input), read_image(item.target)), abs=1e-4)
    assert lb.at["smooth", "noise50/psnr↑"] > lb.at["identity", "noise50/psnr↑"] + 3
    assert lb.index[0] == "smooth" and lb.at["smooth", "rank"] == 1
    md = paths["md"].read_text()
    assert "**" in md and "↑" in md and rr.data_hash in md and "restore" in md and "generate" in md
    # the report describes itself: protocol, tasks (count, size, origin), code, device, torch
    import torch

    described = [
        "rgb: float RGB (no quantization); PSNR on RGB, SSIM on RGB with a 11x11 Gaussian sigma 1.5 window",
        (
            '**task noise50**: 2 images (64x64); synthetic: {"op": "noise.gaussian", "params": {"gray": false, '
            '"sigma": 50.0}} on skimage:astronaut,coffee (seed 0, crop 64)'
        ),
        "**code**: restorebench 0.1.0",
        "**device**: cpu (",
        f"**torch**: {torch.__version__}, CUDA",
        "**overrides**: none",
    ]
    for line in described:
        assert line in md, line
    csv_head = paths["csv"].read_text().splitlines()
    assert csv_head[0].startswith("# suite: tiny") and any(r.startswith("# task noise15: 2 images") for r in csv_head)
    html = paths["html"].read_text()
    assert 'class="best"' in html and "gallery.html" in html
    gallery = paths["gallery"].read_text()
    assert (
        gallery.count("<figure>") == 2 * 2 * 3
    )  # tasks x images x (input, smooth, ground truth); identity = input
    run = json.loads(paths["run"].read_text())
    assert run["data_hash"] == rr.data_hash and set(run["timings_s"]) >= {
        "generate",
        "restore",
        "score",
        "report",
    }

    # second run: nothing restored, no method loaded, nothing scored, same numbers
    again = run_suite(suite, methods(), tmp_path / "work", tmp_path / "cache", quiet=True)
    assert counters["identity"].loads == counters["smooth"].loads == 1
    assert counters["identity"].calls == 4 and counters["smooth"].calls == 4
    assert again.counts == {"generated": 0, "restored": 0, "scored": 0}
    pd.testing.assert_frame_equal(again.results.reset_index(drop=True), rr.results.reset_index(drop=True))


def test_method_failing_on_one_image_and_unavailable_method(tmp_path):
    suite = tiny_suite()

    def flaky(img):
        if img[0, 0, 0] > 0.45:  # one of the two images only
            raise RuntimeError("kernel exploded")
        return smooth(img)

    def missing():
        raise WeightsUnavailable(
            "weights unavailable: ghost.pth (sha256 abc) not found; put it at /w/ghost.pth"
        )

    methods = [
        Method("identity", lambda: lambda x: x),
        Method("flaky", lambda: flaky),
        Method("ghost", missing),
        Method("licensed", None, unavailable="license opt-in: academic"),
        Method("derain", lambda: smooth, tasks=("rain",)),
    ]
    rr = run_suite(suite, methods, tmp_path / "work", tmp_path / "cache", quiet=True)
    res = rr.results
    flaky_rows = res[res.method == "flaky"]
    errors = flaky_rows[flaky_rows.status == "error"]
    assert len(errors) == 2 and errors["error"].str.contains("kernel exploded").all()
    assert set(errors["task"]) == {"noise15", "noise50"}
    scored = flaky_rows[flaky_rows.status == "ok"]
    assert len(scored) == 2 * 2 and scored["value"].notna().all()  # the other image, both tasks, both metrics
    assert (res[res.method == "identity"].status == "ok").sum() == 8
    assert rr.status["ghost"].startswith("WeightsUnavailable") and rr.status["licensed"].startswith("license")
    paths = write_report(rr, tmp_path / "report")
    md = paths["md"].read_text()
    assert "| ghost | n/a: weights unavailable |" in md and "| licensed | n/a: license opt-in |" in md
    assert "flaky: 1 of 2 images of noise15 failed" in md
    assert "not run, no task of theirs in this suite: derain" in md and "| derain |" not in md
    assert 'class="fail"' in paths["gallery"].read_text()
    # the failure is cached: a second run does not call the method again unless asked to
    calls = []
    retry = [Method("flaky", lambda: lambda x: calls.append(1) or x)]
    run_suite(suite, retry, tmp_path / "work", tmp_path / "cache", quiet=True)
    assert calls == []
    fixed = run_suite(suite, retry, tmp_path / "work", tmp_path / "cache", quiet=True, retry_failed=True)
    assert len(calls) == 2 and (fixed.results.status == "ok").all()


SCRIPT = """
import sys, time
from pathlib import Path
import cv2
sys.path.insert(0, {tests!r})
from test_runner import tiny_suite
from benchmark.runner import Method, run_suite

calls = 0

def blocking(img):
    # restores {done} images, then blocks for good: the kill lands at a known point, whatever the load
    global calls
    calls += 1
    if calls > {done}:
        Path({marker!r}).touch()
        time.sleep(3600)
    return cv2.GaussianBlur(img, (5, 5), 1.2)

run_suite(tiny_suite({photos!r}), [Method("slow", lambda: blocking)], Path({work!r}), Path({cache!r}), quiet=True)
"""


def test_killed_run_resumes_to_the_same_result(tmp_path):
    photos = "astronaut,coffee,chelsea,rocket"
    script = tmp_path / "job.py"
    script.write_text(
        textwrap.dedent(
            SCRIPT.format(
                tests=str(Path(__file__).parent),
                done=3,
                marker=str(tmp_path / "blocked"),
                photos=photos,
                work=str(tmp_path / "work"),
                cache=str(tmp_path / "cache"),
            )
        )
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, str(script)], env=env, start_new_session=True)
    outputs = tmp_path / "work" / "restored" / "slow"  # no fingerprint: Method key = name
    while not (tmp_path / "blocked").exists():  # the job restored 3 images and blocks in the 4th call
        assert proc.poll() is None, "the job ended before it blocked"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list(outputs.glob("*/*.png")))
    assert done_before == 3

    calls = []

    def slow(img):
        calls.append(1)
        return smooth(img)

    suite = tiny_suite(photos)
    resumed = run_suite(
        suite, [Method("slow", lambda: slow)], tmp_path / "work", tmp_path / "cache", quiet=True
    )
    assert len(calls) == 8 - done_before
    fresh = run_suite(
        suite, [Method("slow", lambda: smooth)], tmp_path / "work2", tmp_path / "cache2", quiet=True
    )
    assert resumed.data_hash == fresh.data_hash
    cols = ["task", "method", "image_id", "metric", "value", "status"]
    a = resumed.results[cols].sort_values(cols[:4]).reset_index(drop=True)
    b = fresh.results[cols].sort_values(cols[:4]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_leaderboard_ranks_bold_arrows_and_na():
    rows = []
    for m, base in (("a", 30.0), ("b", 25.0), ("c", 28.0)):
        for t in ("t1", "t2"):
            for i in range(3):
                rows.append(
                    {
                        "method": m,
                        "task": t,
                        "image_id": f"{i}",
                        "metric": "psnr",
                        "value": base + i,
                        "status": "ok",
                    }
                )
                rows.append(
                    {
                        "method": m,
                        "task": t,
                        "image_id": f"{i}",
                        "metric": "lpips",
                        "value": {"a": 0.3, "b": 0.1, "c": 0.2}[m],
                        "status": "ok",
                    }
                )
    df = pd.DataFrame(rows)
    lb = build_leaderboard(
        df, {"psnr": True, "lpips": False}, {"a": None, "b": None, "c": None, "d": "weights x"}
    )
    assert lb.cell("a", ("t1", "psnr")) == pytest.approx(31.0)
    assert lb.best(("t1", "psnr")) == {"a"} and lb.best(("t1", "lpips")) == {"b"}
    # ranks per column: psnr a1 c2 b3, lpips b1 c2 a3 -> means a 2, c 2, b 2; ties keep first-seen order
    assert lb.rank.to_dict() == {"a": 2.0, "b": 2.0, "c": 2.0}
    md = to_markdown(lb)
    assert "t1 psnr ↑" in md and "t1 lpips ↓" in md and "**31.00**" in md and "**0.1000**" in md
    assert "| d | n/a: weights unavailable |" in md
    assert lb.methods[-1] == "d"


def test_cli_run_writes_reports_and_reports_bad_input(tmp_path, capsys, monkeypatch):
    from restorebench.cli import main

    monkeypatch.setenv("RESTOREBENCH_CACHE", str(tmp_path / "cache"))
    (tmp_path / "s.yaml").write_text(
        "name: clitest\ndata_root: .\nprotocol: rgb\nmetrics: [psnr]\n"
        "task_defaults: {source: 'skimage:coffee', crop: 40}\n"
        "tasks:\n  n: {spec: {op: noise.gaussian, params: {sigma: 20.0, gray: false}}}\n"
        "  real: {source: 'skimage:chelsea', noref: true, kinds: [noise], crop: 40}\n"
        "nr_metrics: []\n"
    )

    def run(*args: str) -> int:
        return main(["run", "--suite", str(tmp_path / "s.yaml"), *args, "--quiet", "~tasks.real"])

    assert run("--models", "identity", "--out", str(tmp_path / "r")) == 0
    out = capsys.readouterr().out
    assert "report:" in out and (tmp_path / "r" / "leaderboard.html").is_file()
    assert "| identity |" in out
    assert run("--models", "no-such-model") == 2
    err = capsys.readouterr().err
    assert "no-such-model" in err and err.count("\n") == 1
    assert main(["run", "--suite", "nope", "--quiet"]) == 2
    assert main(["run", "--suite", "aio3", "--list"]) == 0 and "aio3" in capsys.readouterr().out


def test_noref_task_with_crop_is_cached_and_scored_without_reference(tmp_path):
    suite = build_suite(
        {
            "name": "nr",
            "data_root": ".",
            "metrics": [],
            "nr_metrics": ["niqe"],  # a registered name (suites check names); the scorer below stands in for it
            "tasks": {
                "real": {"source": "skimage:chelsea,coffee", "noref": True, "kinds": ["noise"], "crop": 50}
            },
        }
    )

    def mean_level(preds, targets, ids, metrics, protocol):
        assert targets is None
        return pd.DataFrame(
            [{"image_id": i, "metric": "niqe", "value": float(p.mean())} for p, i in zip(preds, ids)]
        )

    rr = run_suite(
        suite,
        [Method("identity", lambda: lambda x: x)],
        tmp_path / "w",
        tmp_path / "c",
        scorer=mean_level,
        quiet=True,
    )
    items = rr.data["real"].items
    assert all(i.target is None and read_image(i.input).shape == (50, 50, 3) for i in items)
    got = rr.results.set_index("image_id")["value"]
    for item in items:
        assert got[item.image_id] == pytest.approx(float(read_image(item.input).mean()), abs=1e-6)


def test_severity_and_order_plots(tmp_path):
    from benchmark import plots

    suite = build_suite(
        {
            "name": "shapes",
            "data_root": ".",
            "metrics": ["psnr"],
            "task_defaults": {"source": "skimage:coffee", "crop": 32},
            "tasks": {
                "sev": {"sweep": {"ops": ["noise.gaussian"], "severities": [1, 3, 5]}},
                "mix": {
                    "all_orders": [
                        {"op": "noise.gaussian", "severity": 2},
                        {"op": "blur.gaussian", "severity": 2},
                    ]
                },
            },
        }
    )
    assert [t.name for t in suite.tasks] == [
        "noise.gaussian@s1",
        "noise.gaussian@s3",
        "noise.gaussian@s5",
        "noise>blur",
        "blur>noise",
    ]

    def score(preds, targets, ids, metrics, protocol):
        return pd.DataFrame(
            [{"image_id": i, "metric": "psnr", "value": psnr(p, t)} for p, t, i in zip(preds, targets, ids)]
        )

    rr = run_suite(
        suite,
        [Method("identity", lambda: lambda x: x), Method("smooth", lambda: smooth)],
        tmp_path / "w",
        tmp_path / "c",
        scorer=score,
        quiet=True,
    )
    res = rr.results
    curve = res[(res.method == "identity") & res.severity.notna()].sort_values("severity")["value"].to_numpy()
    assert len(curve) == 3 and curve[0] > curve[1] > curve[2]  # more noise, lower input PSNR
    assert set(res.dropna(subset=["order"])["order"]) == {"noise>blur", "blur>noise"}
    assert plots.severity_curves(res, "psnr", tmp_path / "sev.png").is_file()
    assert plots.order_heatmap(res, "psnr", tmp_path / "ord.png").is_file()
    assert plots.order_heatmap(res[res.order.isna()], "psnr", tmp_path / "none.png") is None


def test_restored_work_is_keyed_by_data_content_not_by_config(tmp_path):
    calls = []

    def counted(img):
        calls.append(1)
        return smooth(img)

    first = tiny_suite()
    run_suite(first, [Method("m", lambda: counted)], tmp_path / "w", tmp_path / "c", quiet=True)
    assert len(calls) == 4
    # a different config (limit=2 on a 2-image source) makes a new generation key but bit-identical data
    same_data = build_suite({**first.config, "task_defaults": {**first.config["task_defaults"], "limit": 2}})
    rr = run_suite(same_data, [Method("m", lambda: counted)], tmp_path / "w", tmp_path / "c", quiet=True)
    assert (
        rr.data["noise15"].digest
        != run_suite(first, [], tmp_path / "w", tmp_path / "c", quiet=True).data["noise15"].digest
    )
    assert len(calls) == 4 and rr.counts["restored"] == 0 and rr.counts["generated"] == 4


def test_fair_ranks_partial_coverage_standard_errors_and_few_images():
    rng = np.random.default_rng(3)
    values = {("a", "t1"): 30.0, ("a", "t2"): 20.0, ("b", "t1"): 28.0, ("b", "t2"): 21.0, ("p", "t1"): 35.0}
    sizes = {"t1": 12, "t2": 4}
    rows = [
        {"method": m, "task": t, "image_id": str(i), "metric": "psnr", "value": v + rng.normal(), "status": "ok"}
        for (m, t), v in values.items()
        for i in range(sizes[t])
    ]
    df = pd.DataFrame(rows)
    lb = build_leaderboard(df, {"psnr": True}, {"a": None, "b": None, "p": None}, ["t1", "t2"], ["psnr"])
    # p covers one task of two: ranked within t1 (first there), never in the overall rank or the mean column
    assert lb.partial == {"p": (1, 2)} and list(lb.rank.index) == ["a", "b"]
    assert lb.rank.to_dict() == {"a": 1.5, "b": 1.5}  # t1: a 1, b 2 (p left out); t2: b 1, a 2
    assert lb.task_rank.at["p", "t1"] == 1 and lb.task_rank.at["a", "t1"] == 2 and pd.isna(lb.task_rank.at["p", "t2"])
    assert lb.cell("p", ("mean", "psnr")) is None and lb.cell("a", ("mean", "psnr")) is not None
    assert lb.methods == ["a", "b", "p"]
    # the standard error of a cell is the sample standard deviation over sqrt(n), computed here
    a_t2 = df[(df.method == "a") & (df.task == "t2")]["value"]
    assert lb.errors.at["a", ("t2", "psnr")] == pytest.approx(a_t2.std(ddof=1) / 2)
    md = to_markdown(lb)
    row = {line.split("|")[1].strip(): line for line in md.splitlines() if line.startswith("| ")}
    assert "partial 1/2" in row["p"] and "†" in row["a"].split("|")[8] and "†" not in row["a"].split("|")[6]
    csv = pd.read_csv(io.StringIO(to_csv(lb))).set_index("method")
    assert csv.at["p", "status"] == "partial 1/2" and csv.at["a", "t2/psnr↑ n"] == 4
    assert csv.at["a", "t2/psnr↑ se"] == pytest.approx(a_t2.std(ddof=1) / 2, rel=1e-5)
    assert csv.at["p", "t1/rank"] == 1


def _retrain(monkeypatch, name: str) -> None:
    """Make ``models.info(name)`` return the entry with other weights, as after a retraining."""
    import dataclasses

    import models

    entry = models.info(name)
    retrained = dataclasses.replace(entry, weights=tuple(dataclasses.replace(w, sha256="0" * 64)
                                                         for w in entry.weights))
    real_info = models.info
    monkeypatch.setattr(models, "info", lambda n: retrained if n == name else real_info(n))


def test_a_composite_method_gets_a_new_cache_key_when_what_it_runs_changes(monkeypatch):
    import models
    from benchmark.runner import method_fingerprint

    auto = models.info("auto")
    before = method_fingerprint(auto)
    assert method_fingerprint(models.info("identity")) == registry_methods(["identity"])[0].fingerprint
    _retrain(monkeypatch, auto.args["detector"])
    assert method_fingerprint(auto) != before


def test_a_method_conditioned_through_the_detector_gets_a_new_cache_key_when_the_detector_changes(monkeypatch):
    import models
    from benchmark.conditioning import CONDITIONING_DETECTOR
    from benchmark.runner import method_fingerprint

    names = ("defusion-tiny-aio3", "identity")
    before = {n: method_fingerprint(models.info(n)) for n in names}
    _retrain(monkeypatch, CONDITIONING_DETECTOR)
    after = {n: method_fingerprint(models.info(n)) for n in names}
    assert after["defusion-tiny-aio3"] != before["defusion-tiny-aio3"] and after["identity"] == before["identity"]
