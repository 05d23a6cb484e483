"""Per-label presence thresholds of a degradation detector, chosen on a calibration corpus.

    python -m benchmark.detector_thresholds CORPUS [--detector NAME] [--weights PATH] [--out FILE.yaml]

A detector's label probabilities are independent sigmoids; 0.5 is where its training loss balances errors,
not where a label's F1 is highest (a label that is often faint in mixtures is under-called at 0.5). For every
degradation label this picks the threshold, on a grid of :data:`GRID` (ties: the one nearest 0.5), that
maximizes the label's F1 over all samples of ``CORPUS`` (truth as in ``benchmark.detection``: the labels of
the recipe steps that changed the image) among those where at least :data:`MIN_PRECISION` of its calls are
right; a label the detector cannot see would otherwise get the lowest threshold, called on nearly every image
for the F1 its base rate gives, and keeps 0.5 instead. Use a corpus made from the detector's training sources with a seed
of its own, never its test corpus, e.g.::

    restorebench generate configs/train/detector-sources.txt corpora/detector-calib \\
        --config configs/detect/kodak24-test.yaml --seed 2 --per-image 8

Prints a table (F1 at 0.5 and at the chosen threshold, positives) and writes ``--out`` as the registry entry's
``thresholds:`` mapping (paste it into the detector's entry).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from benchmark.detection import label_f1, predict_corpus
from benchmark.render import md_table
from degrade.labels import DEGRADATIONS
from restorebench.atomic import write_text_atomic

GRID = tuple(round(t, 2) for t in np.arange(0.05, 0.951, 0.05))
"""Candidate thresholds."""
MIN_PRECISION = 0.5
"""Share of a label's calls on the calibration corpus that must be right at its threshold."""


def f1_at(truth: np.ndarray, prob: np.ndarray, threshold: float) -> float:
    """F1 of ``prob >= threshold`` against boolean ``truth`` (1-D arrays of one label); 0 without positives."""
    return label_f1(truth, prob >= threshold) or 0.0


def precision_at(truth: np.ndarray, prob: np.ndarray, threshold: float) -> float:
    """Share of right calls among ``prob >= threshold``; 0 when nothing is called."""
    called = prob >= threshold
    return float((called & truth).sum() / called.sum()) if called.any() else 0.0


def choose_thresholds(frame: pd.DataFrame) -> pd.DataFrame:
    """Per degradation label with positives in ``frame`` (columns ``truth``, ``+``-joined, and ``p_<label>``):
    positives, F1 at 0.5, the chosen threshold (0.5 when no threshold is :data:`MIN_PRECISION` precise), its
    precision and F1."""
    truth = [set(t.split("+")) for t in frame["truth"]]
    rows = []
    for label in DEGRADATIONS:
        has = np.array([label in t for t in truth])
        if not has.any():
            continue
        prob = frame[f"p_{label}"].to_numpy()
        usable = [t for t in GRID if precision_at(has, prob, t) >= MIN_PRECISION] or [0.5]
        best = max(usable, key=lambda t: (round(f1_at(has, prob, t), 6), -abs(t - 0.5)))
        rows.append({"label": label, "positives": int(has.sum()), "f1_at_05": f1_at(has, prob, 0.5),
                     "threshold": best, "precision": precision_at(has, prob, best), "f1": f1_at(has, prob, best)})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    from models.detect.detector import DEFAULT_DETECTOR, load_detector

    ap = argparse.ArgumentParser(prog="python -m benchmark.detector_thresholds",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", help="calibration corpus folder (restorebench generate), not the test corpus")
    ap.add_argument("--detector", default=DEFAULT_DETECTOR)
    ap.add_argument("--weights", help="detector checkpoint (default: the registry's verified file)")
    ap.add_argument("--out", help="YAML file for the registry entry's thresholds")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    table = choose_thresholds(predict_corpus(Path(args.corpus), load_detector(args.detector, args.weights)))
    print(md_table(["label", "positives", "F1 at 0.5", "threshold", "precision", "F1"],
                   [[r.label, str(r.positives), f"{r.f1_at_05:.3f}", f"{r.threshold:.2f}", f"{r.precision:.3f}",
                     f"{r.f1:.3f}"] for r in table.itertuples()]))
    print(f"mean F1: {table['f1_at_05'].mean():.3f} at 0.5, {table['f1'].mean():.3f} at the chosen thresholds")
    if args.out:
        write_text_atomic(Path(args.out), yaml.safe_dump(
            {"thresholds": {r.label: float(r.threshold) for r in table.itertuples()}}, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
