"""Scoring a detector on a test corpus: a degraded sample none of whose steps changed its image counts as clean."""

from __future__ import annotations

import math

import pandas as pd

from benchmark.detection import confusion, score


def _row(task: str, truth: str, dominant: str) -> dict:
    severity = {} if truth == "clean" else {truth: 3.0}
    return {"task": task, "truth": truth, "dominant": dominant, "present": dominant,
            "true_severity": 0.0 if truth == "clean" else 3.0, "predicted_severity": severity,
            "true_sigma": math.nan, "sigma": None, "true_quality": math.nan, "quality": None}


def test_unchanged_singles_are_scored_as_clean_images():
    frame = pd.DataFrame([_row("single-noise", "noise", "noise"), _row("single-raindrop", "raindrop", "clean"),
                          _row("single-raindrop", "clean", "clean"), _row("clean", "clean", "haze"),
                          _row("mix2", "noise+jpeg", "noise+jpeg")])
    s = score(frame)
    assert s["singles"]["n"] == 2 and s["singles"]["top1"] == 0.5
    assert s["clean"]["n"] == 2 and s["clean"]["flagged"] == 0.5
    assert s["mixtures"]["all"]["n"] == 1
    table = confusion(frame)
    assert table.loc["clean", "clean"] == 1 and table.loc["clean", "haze"] == 1
    assert table.loc["raindrop", "clean"] == 1 and table.values.sum() == 4


def test_thresholds_are_chosen_where_each_labels_f1_is_highest():
    import numpy as np

    from benchmark.detector_thresholds import GRID, choose_thresholds, f1_at

    truth = ["noise"] * 4 + ["noise+jpeg"] * 2 + ["jpeg"] * 4 + ["clean"] * 4
    p_noise = [0.9, 0.8, 0.3, 0.3, 0.35, 0.32, 0.1, 0.05, 0.2, 0.1, 0.0, 0.1, 0.15, 0.2]
    p_jpeg = [0.0] * 4 + [0.9, 0.7] + [0.95, 0.9, 0.8, 0.6] + [0.0] * 4
    frame = pd.DataFrame({"truth": truth, "p_noise": p_noise, "p_jpeg": p_jpeg})
    table = choose_thresholds(frame).set_index("label")
    assert list(table.index) == ["noise", "jpeg"]  # labels without positives are left out
    assert table.loc["noise", "f1_at_05"] == f1_at(np.array([True] * 6 + [False] * 8), np.array(p_noise), 0.5) == 0.5
    assert table.loc["noise", "threshold"] in (0.25, 0.3) and table.loc["noise", "f1"] == 1.0
    assert table.loc["jpeg", "threshold"] == 0.5 and table.loc["jpeg", "f1"] == 1.0  # ties: the one nearest 0.5
    assert set(table["threshold"]) <= set(GRID)


def test_a_label_the_detector_cannot_see_keeps_the_default_threshold():
    from benchmark.detector_thresholds import choose_thresholds

    truth = ["raindrop"] * 3 + ["clean"] * 9
    blind = pd.DataFrame({"truth": truth, "p_raindrop": [0.1, 0.2, 0.3] + [0.1, 0.2, 0.3] * 3})
    row = choose_thresholds(blind).iloc[0]  # F1 would be best (0.4) calling every image at 0.05
    assert row["threshold"] == 0.5 and row["f1"] == 0.0 and row["precision"] == 0.0
