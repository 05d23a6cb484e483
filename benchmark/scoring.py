"""Scoring of restored images for the runner: the scorer interface, per-task cached scoring, metric availability.

A :data:`Scorer` turns images into per-image rows; :func:`score_task` computes only the rows its parquet cache
(:func:`benchmark.workdir.score_path`) lacks, so a second run scores nothing.
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


def harness_scorer(device: str = "cpu") -> Scorer:
    """The default scorer: ``benchmark.harness.score_arrays`` on ``device``."""

    def score(preds, targets, ids, metrics, protocol):
        from benchmark.harness import score_arrays

        return score_arrays(preds, targets, ids, metrics, protocol, device)

    return score


def score_task(
    td: TaskData, folder: Path, metrics: tuple[str, ...], protocol: str, scorer: Scorer, cache: Path
) -> tuple[pd.DataFrame, int]:
    """Per-image scores [image_id, metric, value] of the outputs in ``folder``; only missing ones are computed.

    Returns the scores and how many images were scored now. Scores are cached in the parquet file ``cache``.
    """
    done = pd.read_parquet(cache) if cache.is_file() else pd.DataFrame(columns=SCORE_COLUMNS)
    have = set(zip(done["image_id"], done["metric"]))
    ready = [it for it in td.items if (folder / f"{it.image_id}.png").is_file()]
    todo = [it for it in ready if any((it.image_id, m) not in have for m in metrics)]
    if todo:
        need = [m for m in metrics if any((it.image_id, m) not in have for it in todo)]
        preds = [read_image(folder / f"{it.image_id}.png") for it in todo]
        targets = [read_image(it.target, convert=True) for it in todo] if td.task.has_reference else None
        new = scorer(preds, targets, [it.image_id for it in todo], need, protocol)
        if "note" not in new:
            new = new.assign(note="")
        new = new[["image_id", "metric", "value", "note"]].astype(
            {"image_id": str, "metric": str, "value": float}
        )
        new["note"] = new["note"].fillna("").astype(str)
        done = pd.concat([done.astype(new.dtypes.to_dict()), new], ignore_index=True) if len(done) else new
        done = done.drop_duplicates(["image_id", "metric"], keep="first").reset_index(drop=True)
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(cache, done.to_parquet(index=False))
    ids = {it.image_id for it in ready}
    return done[done["image_id"].isin(ids) & done["metric"].isin(metrics)], len(todo)


def metric_availability(metrics: list[str]) -> dict[str, str | None]:
    """metric -> None when it can run here, else why not (weights unavailable ...), from the metric registry."""
    from benchmark.metrics import metric_info

    out = {}
    for m in metrics:
        info = metric_info(m)
        out[m] = None if info["available"] else str(info["reason"])
    return out
