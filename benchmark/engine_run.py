"""Suite work on an engine (Dask): restore and score one method x one task x a chunk of images per task.

A chunk task loads the method once per worker process, restores the chunk's pending images into the run's
work folder (the same files a serial run writes) and scores them into a part,
``scores/<protocol>/<method>/<task>-<content12>.parts/part-<first id>.parquet``. The driver merges the parts
into each task's score cache and deletes them; the runner's own restore and score phases then find the work
done. Everything stays resumable: a finished image is a file, a finished score a row of a part or the cache.
Workers must see the work folder and the suite data cache at the same paths (a shared filesystem).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from benchmark.runner import Method, RestoreFn, _error_text, _Run, restore_task
from benchmark.scoring import Scorer, is_set_metric, score_task
from benchmark.suites.data import Item, TaskData
from benchmark.workdir import pending
from restorebench.atomic import write_bytes_atomic
from restorebench.engine import Engine


@dataclass(frozen=True)
class Chunk:
    """One task of the map: ``items`` of task data ``td`` with ``method``, restored into ``folder``, scored
    with ``metrics`` under ``protocol`` into the part file ``part``."""

    method: Method
    td: TaskData
    folder: Path
    part: Path
    metrics: tuple[str, ...]
    protocol: str


@dataclass(frozen=True)
class ChunkContext:
    """What every chunk task shares: the scorer and whether to retry images that failed before."""

    scorer: Scorer
    retry_failed: bool


@dataclass
class ChunkResult:
    """Images restored and scored by a chunk, or why its method could not load."""

    method: str
    restored: int = 0
    scored: int = 0
    load_error: str | None = None


_LOADED: dict[str, RestoreFn] = {}
"""Restore functions loaded in this worker process, by method key."""


def run_chunk(ctx: ChunkContext, chunk: Chunk) -> ChunkResult:
    """Restore the pending images of ``chunk`` and score its restored images into its part file."""
    m = chunk.method
    if m.key not in _LOADED:
        try:
            _LOADED[m.key] = m.load()
        except Exception as exc:  # noqa: BLE001 - the loader failed: weights, license, dependency
            return ChunkResult(m.name, load_error=_error_text(exc))
    loaded = dataclasses.replace(m, _fn=_LOADED[m.key])
    restored = restore_task(loaded, chunk.td, chunk.folder, ctx.retry_failed)
    _, scored = score_task(chunk.td, chunk.folder, chunk.metrics, chunk.protocol, ctx.scorer, chunk.part)
    return ChunkResult(m.name, restored, scored)


def _parts_dir(cache: Path) -> Path:
    return cache.with_name(cache.name.removesuffix(".parquet") + ".parts")


def _unscored(td: TaskData, folder: Path, cache: Path, metrics: tuple[str, ...]) -> set[str]:
    """Ids of ``td`` restored in ``folder`` whose score cache lacks one of the per-image ``metrics`` (set metrics
    are scored over the whole task after the chunks)."""
    metrics = tuple(m for m in metrics if not is_set_metric(m))
    have = set()
    if cache.is_file():
        done = pd.read_parquet(cache, columns=["image_id", "metric"])
        have = set(zip(done["image_id"], done["metric"]))
    return {it.image_id for it in td.items if (folder / f"{it.image_id}.png").is_file()
            and any((it.image_id, x) not in have for x in metrics)}


def chunks(run: _Run, methods: list[Method], data: dict[str, TaskData], metric_status: dict[str, str | None],
           size: int) -> list[Chunk]:
    """Chunks of up to ``size`` images with work left (restoring or scoring), method by method, task by task."""
    out = []
    for m, td, folder in run.jobs(methods, data):
        cache, metrics = run.score_cache(m, td), run.usable_metrics(td, metric_status)
        todo = {it.image_id for it in pending(td, folder, run.retry_failed)} | _unscored(td, folder, cache, metrics)
        items: list[Item] = [it for it in td.items if it.image_id in todo]
        for i in range(0, len(items), size):
            part = _parts_dir(cache) / f"part-{items[i].image_id}.parquet"
            out.append(Chunk(m, dataclasses.replace(td, items=tuple(items[i:i + size])), folder, part, metrics,
                             run.suite.protocol))
    return out


def merge_parts(cache: Path) -> None:
    """Append the part files of a score cache to it (earlier rows win) and delete them."""
    folder = _parts_dir(cache)
    parts = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
    if not parts:
        return
    frames = ([pd.read_parquet(cache)] if cache.is_file() else []) + [pd.read_parquet(p) for p in parts]
    merged = pd.concat([f for f in frames if len(f)], ignore_index=True)
    merged = merged.drop_duplicates(["image_id", "metric"], keep="first").reset_index(drop=True)
    write_bytes_atomic(cache, merged.to_parquet(index=False))
    for p in parts:
        p.unlink()
    folder.rmdir()


def run_on_engine(run: _Run, methods: list[Method], data: dict[str, TaskData], scorer: Scorer,
                  metric_status: dict[str, str | None], engine: Engine, size: int) -> None:
    """Restore and score every chunk with work left on ``engine``; methods that cannot load become n/a."""
    from tqdm import tqdm

    t0 = time.perf_counter()
    work = chunks(run, methods, data, metric_status, size)
    for _, td, folder in run.jobs(methods, data):
        folder.mkdir(parents=True, exist_ok=True)
    ctx = ChunkContext(scorer, run.retry_failed)
    with tqdm(total=len(work), desc=f"{run.suite.name}: restore+score", unit="chunk", disable=run.quiet) as bar:
        for res in engine.map(run_chunk, ctx, work):
            if res.load_error is not None:
                run.status[res.method] = res.load_error
            run.counts["restored"] += res.restored
            run.counts["scored"] += res.scored
            bar.update(1)
    for m, td, _ in run.jobs(methods, data):
        merge_parts(run.score_cache(m, td))
    run.timings["restore"] += time.perf_counter() - t0
