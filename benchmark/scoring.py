"""Scoring of restored images for the runner: the scorer interface, per-task cached scoring, metric availability.

A :data:`Scorer` turns images into per-image rows (and one row per set for FID/KID); :func:`score_task`
computes only the rows its parquet cache (:func:`benchmark.workdir.score_path`) lacks, so a second run scores
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from benchmark.suites.data import TaskData
from restorebench.atomic import write_bytes_atomic
from restorebench.imageio import read_image

Scorer = Callable[[list[np.ndarray], "list[np.ndarray] | None", list[str], list[str], str], pd.DataFrame]
"""(preds, targets or None, image ids, metrics, protocol) -> DataFrame[image_id, metric, value]."""

SCORE_COLUMNS = ["image_id", "metric", "value", "note"]
MIN_SET_IMAGES = 100
"""The fewest restored images of a task that FID and KID are scored on. FID's bias grows as 1/N (Chong and
Forsyth, CVPR 2020) and KID's variance is large on small sets: on a few dozen images both mostly measure N."""


def harness_scorer(device: str = "cpu") -> Scorer:
    """The default scorer: ``benchmark.harness.score_arrays`` on ``device``."""

    def score(preds, targets, ids, metrics, protocol):
        from benchmark.harness import score_arrays

        return score_arrays(preds, targets, ids, metrics, protocol, device)

    return score


def is_set_metric(name: str) -> bool:
    """True for a distribution metric (FID, KID): one value per set of images, not per image."""
    from benchmark.metrics.base import spec

    return spec(name).kind == "dist"


def set_note(n: int) -> str:
    """The note of a set metric's row: how many images the set held."""
    return f"{n} images"


def _frame(scores: pd.DataFrame) -> pd.DataFrame:
    """Scorer output as [image_id, metric, value, note] with those types (note "" when absent)."""
    if "note" not in scores:
        scores = scores.assign(note="")
    out = scores[SCORE_COLUMNS].astype({"image_id": str, "metric": str, "value": float})
    out["note"] = out["note"].fillna("").astype(str)
    return out


def score_task(
    td: TaskData, folder: Path, metrics: tuple[str, ...], protocol: str, scorer: Scorer, cache: Path
) -> tuple[pd.DataFrame, int]:
    """Scores [image_id, metric, value, note] of the outputs in ``folder``; only missing ones are computed.

    Per-image metrics give one row per image. Set metrics (FID, KID) give one row with image id
    ``benchmark.harness.SET_ID`` over all restored images of the task, only when there are at least
    :data:`MIN_SET_IMAGES`, its note naming how many (computed again when that number changes). Returns the
    scores and how many images were scored now with per-image metrics. Scores are cached in the parquet
    file ``cache``.
    """
    from benchmark.harness import SET_ID

    done = pd.read_parquet(cache) if cache.is_file() else pd.DataFrame(columns=SCORE_COLUMNS)
    have = set(zip(done["image_id"], done["metric"]))
    ready = [it for it in td.items if (folder / f"{it.image_id}.png").is_file()]
    per_image = [m for m in metrics if not is_set_metric(m)]
    todo = [it for it in ready if any((it.image_id, m) not in have for m in per_image)]
    enough = len(ready) >= MIN_SET_IMAGES
    notes = dict(zip(done.loc[done["image_id"] == SET_ID, "metric"], done.loc[done["image_id"] == SET_ID, "note"]))
    stale = [m for m in metrics if enough and is_set_metric(m)
             and not str(notes.get(m, "")).startswith(set_note(len(ready)))]

    def scores(items: list, names: list[str]) -> pd.DataFrame:
        preds = [read_image(folder / f"{it.image_id}.png") for it in items]
        targets = [read_image(it.target, convert=True) for it in items] if td.task.has_reference else None
        return _frame(scorer(preds, targets, [it.image_id for it in items], names, protocol))

    new = []
    if todo:
        new.append(scores(todo, [m for m in per_image if any((it.image_id, m) not in have for it in todo)]))
    if stale:
        sets = scores(ready, stale)
        sets = sets[sets["image_id"] == SET_ID]
        note = set_note(len(ready))
        sets = sets.assign(note=[note + (f": {n}" if n else "") for n in sets["note"]])
        done = done[~((done["image_id"] == SET_ID) & done["metric"].isin(stale))]
        new.append(sets)
    if new:
        frames = [f for f in (done, *new) if len(f)]
        done = pd.concat([f.astype(new[0].dtypes.to_dict()) for f in frames], ignore_index=True)
        done = done.drop_duplicates(["image_id", "metric"], keep="first").reset_index(drop=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(cache, done.to_parquet(index=False))
    ids = {it.image_id for it in ready} | ({SET_ID} if enough else set())
    return done[done["image_id"].isin(ids) & done["metric"].isin(metrics)], len(todo)


def metric_availability(metrics: list[str]) -> dict[str, str | None]:
    """metric -> None when it can run here, else why not (weights unavailable ...), from the metric registry."""
    from benchmark.metrics import metric_info

    out = {}
    for m in metrics:
        info = metric_info(m)
        out[m] = None if info["available"] else str(info["reason"])
    return out
