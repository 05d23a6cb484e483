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
