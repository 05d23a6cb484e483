"""Shard tasks: runs of consecutive sources written by one worker, each ending with its part file.

A task holds the sources ``units`` (samples ``start .. stop-1``). It writes every sample, or reuses the rows
of an earlier run for a source when all that source's files still verify, then writes
``manifest/part-<start>.parquet``: the part exists only once every file of the task is in place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from degrade.corpus import manifest as mf
from degrade.corpus.verify import rows_intact
from degrade.corpus.writer import STAGES, Job, Unit, process_unit


@dataclass(frozen=True)
class ShardTask:
    """Sources ``units`` (samples ``start .. stop-1``) and, on resume, their rows of an earlier run by source."""

    start: int
    stop: int
    units: tuple[Unit, ...]
    previous: dict[int, list[dict]] = field(default_factory=dict)


@dataclass
class ShardResult:
    """A finished task: its rows and skipped sources, samples written now / reused, stage and CPU seconds."""

    start: int
    rows: list[dict]
    skips: dict[int, tuple[str, str]]
    written: int
    reused: int
    seconds: dict[str, float]
    cpu_seconds: float


def part_name(start: int, width: int) -> str:
    """The part file of the task starting at sample ``start``, relative to the corpus root."""
    return f"{mf.PARTS_DIR}/part-{start:0{width}d}.parquet"


def part_start(name: str) -> int | None:
    """The start sample of a part file name (``part-00000040.parquet``); None for other names."""
    stem = name.removeprefix("part-").removesuffix(".parquet")
    return int(stem) if name.startswith("part-") and name.endswith(".parquet") and stem.isdigit() else None


def make_tasks(units: list[Unit], shard_size: int, previous: dict[int, list[dict]]) -> list[ShardTask]:
    """Cut ``units`` (in source order) into tasks of consecutive sources, each closed once it holds at least
    ``shard_size`` samples; ``previous`` rows are handed to the task of their source."""
    tasks: list[ShardTask] = []
    group: list[Unit] = []
    size = 0
    for i, unit in enumerate(units):
        group.append(unit)
        size += unit.count
        if size >= shard_size or i == len(units) - 1:
            tasks.append(ShardTask(group[0].first, unit.first + unit.count, tuple(group),
                                   {u.source_index: previous[u.source_index] for u in group
                                    if u.source_index in previous}))
            group, size = [], 0
    return tasks


def run_task(job: Job, task: ShardTask) -> ShardResult:
    """Write (or verify and reuse) every source of ``task``, then its part file."""
    cpu0 = time.process_time()
    result = ShardResult(task.start, [], {}, 0, 0, dict.fromkeys(STAGES, 0.0), 0.0)
    for unit in task.units:
        rows = task.previous.get(unit.source_index)
        if rows is not None and len(rows) == unit.count and rows_intact(job.store, rows):
            result.rows += rows
            result.reused += len(rows)
            continue
        res = process_unit(job, unit)
        for stage, s in res.seconds.items():
            result.seconds[stage] += s
        if res.skip is not None:
            result.skips[unit.source_index] = res.skip
        else:
            result.rows += res.rows
            result.written += len(res.rows)
    mf.write_manifest(job.store, part_name(task.start, job.id_width), result.rows, result.skips)
    result.cpu_seconds = time.process_time() - cpu0
    return result
