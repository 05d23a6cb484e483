"""Scoring a degradation detector: on a synthetic test corpus (truth from each sample's recipe) and on real
photos whose degradation is known by their origin.

    python -m benchmark.detection CORPUS OUT_DIR [--real DATA_ROOT] [--detector NAME] [--weights PATH]

Corpus tasks are grouped by name: ``clean``; ``single-<label>`` (one degradation); any other task is a
mixture. A sample's true labels are those of the recipe steps that changed its image
(``degrade.labels.visible_steps``: a sparse operator can draw nothing); a sample none of whose steps did is
clean, whatever its task. Measured:

* singles: top-1 accuracy (the dominant label is the true one), per label and overall; the confusion matrix
  (true label x dominant label, clean images included); the mean absolute error of the true label's severity,
  of the noise sigma (Gaussian noise samples) and of the JPEG quality;
* clean (clean images, and degraded samples left unchanged): the share whose dominant label is a degradation
  ("flagged");
* mixtures: per-label F1 of the present labels (probability at or above the label's threshold, see
  ``benchmark.detector_thresholds``) against the true label set, and their
  mean over the degradation labels, per task and over all mixtures;
* real photos (``--real``): the share of each set whose dominant label is the expected one (:data:`REAL_SETS`).

Writes ``OUT_DIR/{detection.md, confusion.csv, scores.json, predictions.parquet}``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from degrade.labels import CLEAN, DEGRADATIONS, LABELS, detection_targets, recipe_labels, visible_steps
from restorebench.atomic import atomic_path, write_text_atomic

SINGLE = "single-"
REAL_SETS = {"RNI15": ("real_noref/RNI15", "noise"), "Nam_real_noise": ("paired/Nam_real_noise/input", "noise"),
             "LIME": ("real_noref/LIME", "lowlight"), "Rain12": ("paired/Rain12/input", "rain"),
             "Rain100L_10": ("paired/Rain100L_10/input", "rain")}
"""Real sets under the data root: (folder, expected dominant label)."""


def predict_corpus(corpus: Path, detector: Any) -> pd.DataFrame:
    """One row per corpus sample: task, true labels, targets and the detection (``Detection.to_row``)."""
    from degrade.corpus import PairedCorpus

    data = PairedCorpus(corpus)
    rows = []
    for i in range(len(data)):
        item = data[i]
        clean = item["gt"].permute(1, 2, 0).numpy()
        truth = detection_targets(item["recipe"], clean=clean)
        found = detector(item["lq"][None])[0]
        labels = recipe_labels(op for op, _ in visible_steps(item["recipe"], clean))
        rows.append({"id": item["id"], "task": item["task"], "truth": "+".join(labels),
                     "true_severity": float(max(truth["severity"])), "true_sigma": float(truth["sigma"][0]),
                     "true_quality": float(truth["quality"][0]),
                     "predicted_severity": {k: round(v, 3) for k, v in found.severities.items()},
                     **found.to_row()})
    return pd.DataFrame(rows)


def label_f1(truth: np.ndarray, called: np.ndarray) -> float | None:
    """F1 of one label's calls (boolean array) against its truth (boolean array, same length); None when the
    truth has no positive."""
    tp, wrong = int((truth & called).sum()), int((truth ^ called).sum())
    return None if not truth.any() else 2 * tp / (2 * tp + wrong)


def mixture_f1(frame: pd.DataFrame) -> dict[str, Any]:
    """Per-label F1 of the present labels and their mean over labels that occur in the truth."""
    truth = [set(t.split("+")) for t in frame["truth"]]
    predicted = [set(p.split("+")) - {CLEAN} for p in frame["present"]]
    per = {k: label_f1(np.array([k in t for t in truth], dtype=bool), np.array([k in p for p in predicted], dtype=bool))
           for k in DEGRADATIONS}
    scored = [v for v in per.values() if v is not None]
    return {"n": len(frame), "mean_f1": float(np.mean(scored)) if scored else math.nan,
            "per_label": {k: None if v is None else round(v, 4) for k, v in per.items()}}


def score(frame: pd.DataFrame) -> dict[str, Any]:
    """The measures of the module docstring from :func:`predict_corpus`'s rows."""
    unchanged = frame["truth"] == CLEAN
    singles = frame[frame["task"].str.startswith(SINGLE) & ~unchanged]
    clean = frame[unchanged]
    mixes = frame[~frame["task"].str.startswith(SINGLE) & (frame["task"] != CLEAN) & ~unchanged]
    top1 = singles["dominant"] == singles["truth"]
    sev_err = [abs(r.predicted_severity[r.truth] - r.true_severity) for r in singles.itertuples()]
    gauss = singles[np.isfinite(singles["true_sigma"]) & singles["sigma"].notna()]
    jpeg = singles[np.isfinite(singles["true_quality"]) & singles["quality"].notna()]
    return {
        "singles": {"n": len(singles), "top1": float(top1.mean()) if len(singles) else math.nan,
                    "per_label": {k: round(float(top1[singles["truth"] == k].mean()), 4)
                                  for k in DEGRADATIONS if (singles["truth"] == k).any()},
                    "severity_mae": float(np.mean(sev_err)) if sev_err else math.nan,
                    "sigma_mae": float((gauss["sigma"] - gauss["true_sigma"]).abs().mean()) if len(gauss) else None,
                    "sigma_n": len(gauss),
                    "quality_mae": float((jpeg["quality"] - jpeg["true_quality"]).abs().mean()) if len(jpeg) else None,
                    "quality_n": len(jpeg)},
        "clean": {"n": len(clean), "flagged": float((clean["dominant"] != CLEAN).mean()) if len(clean) else math.nan},
        "mixtures": {"all": mixture_f1(mixes), **{t: mixture_f1(g) for t, g in mixes.groupby("task")}},
    }


def confusion(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts of true label (single-degradation and clean samples) x dominant label."""
    part = frame[frame["task"].str.startswith(SINGLE) | (frame["truth"] == CLEAN)]
    table = pd.crosstab(pd.Categorical(part["truth"], LABELS), pd.Categorical(part["dominant"], LABELS),
                        dropna=False)
    table.index.name, table.columns.name = "true", "dominant"
    return table


def real_rates(root: Path, detector: Any) -> dict[str, dict]:
    """For each real set present under ``root``: images, the share with the expected dominant label, and the
    count of every dominant label."""
    from restorebench.imageio import list_images, read_image

    out = {}
    for name, (folder, expected) in REAL_SETS.items():
        files = list_images(root / folder) if (root / folder).is_dir() else []
        if not files:
            continue
        dominant = [detector.detect_image(read_image(f, convert=True)).dominant for f in files]
        counts = pd.Series(dominant).value_counts().to_dict()
        out[name] = {"expected": expected, "n": len(files), "rate": counts.get(expected, 0) / len(files),
                     "dominant": {k: int(v) for k, v in counts.items()}}
    return out


def _pct(x: float | None) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def render(scores: dict, conf: pd.DataFrame, real: dict, command: str, detector: str) -> str:
    """The markdown report; ``detector`` says which detector and weights were scored."""
    s, c, m = scores["singles"], scores["clean"], scores["mixtures"]
    lines = ["# Degradation detector scores", "", f"Made by `{command}`; detector {detector}.", "",
             "| measure | value | n |", "|---|---|---|",
             f"| top-1 accuracy, single degradations (severity 3-5) | {_pct(s['top1'])} | {s['n']} |",
             f"| clean images (and samples no step changed) flagged as degraded | {_pct(c['flagged'])} | {c['n']} |",
             f"| mean per-label F1, all mixtures | {_pct(m['all']['mean_f1'])} | {m['all']['n']} |"]
    lines += [f"| mean per-label F1, {t} | {_pct(v['mean_f1'])} | {v['n']} |" for t, v in m.items() if t != "all"]
    lines += [f"| severity MAE of the true label, singles (1-5 scale) | {s['severity_mae']:.2f} | {s['n']} |"]
    if s["sigma_mae"] is not None:
        lines.append(f"| noise sigma MAE, Gaussian-noise singles (0-255) | {s['sigma_mae']:.2f} | {s['sigma_n']} |")
    if s["quality_mae"] is not None:
        lines.append(f"| JPEG quality MAE, JPEG singles | {s['quality_mae']:.2f} | {s['quality_n']} |")
    lines += ["", "## Top-1 per label (singles)", "", "| label | top-1 |", "|---|---|"]
    lines += [f"| {k} | {_pct(v)} |" for k, v in s["per_label"].items()]
    lines += ["", "## Per-label F1 on mixtures", "", "| label | F1 |", "|---|---|"]
    lines += [f"| {k} | {_pct(v)} |" for k, v in m["all"]["per_label"].items()]
    lines += ["", "## Confusion matrix (rows: true label; columns: dominant label)", "",
              "| true \\ dominant | " + " | ".join(conf.columns.astype(str)) + " |",
              "|---|" + "---|" * len(conf.columns)]
    lines += [f"| {i} | " + " | ".join(str(int(v)) for v in row) + " |" for i, row in conf.iterrows()]
    if real:
        lines += ["", "## Real photos: share with the expected dominant label", "",
                  "| set | expected | rate | n | dominant labels |", "|---|---|---|---|---|"]
        lines += [f"| {k} | {v['expected']} | {_pct(v['rate'])} | {v['n']} | "
                  + ", ".join(f"{a} {b}" for a, b in v["dominant"].items()) + " |" for k, v in real.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from models.detect.detector import DEFAULT_DETECTOR, load_detector

    ap = argparse.ArgumentParser(prog="python -m benchmark.detection", description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", help="test corpus folder (restorebench generate)")
    ap.add_argument("out_dir")
    ap.add_argument("--real", help="data root holding the real sets (e.g. ../shared/data)")
    ap.add_argument("--detector", default=DEFAULT_DETECTOR)
    ap.add_argument("--weights", help="detector checkpoint (default: the registry's verified file)")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    detector = load_detector(args.detector, args.weights)
    frame = predict_corpus(Path(args.corpus), detector)
    scores, conf = score(frame), confusion(frame)
    real = real_rates(Path(args.real), detector) if args.real else {}
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    command = "python -m benchmark.detection " + " ".join(sys.argv[1:] if argv is None else argv)
    registered = ", ".join(f"sha256 {w.sha256[:12]}" for w in detector.info.weights)
    weights = args.weights or f"the registry's weights, {registered}"
    about = f"`{detector.info.name}` ({weights})"
    write_text_atomic(out / "detection.md", render(scores, conf, real, command, about))
    write_text_atomic(out / "confusion.csv", conf.to_csv())
    write_text_atomic(out / "scores.json", json.dumps({"scores": scores, "real": real}, indent=2) + "\n")
    with atomic_path(out / "predictions.parquet") as tmp:
        frame.assign(predicted_severity=frame["predicted_severity"].map(json.dumps)).to_parquet(tmp, index=False)
    print((out / "detection.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
