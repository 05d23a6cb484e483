"""Per-source work: decode once, cut the source's patches, degrade, encode PNG, hash, write atomically.

A work unit is one source image and its contiguous sample indices (see patches.py). Every output byte of
sample ``i`` depends only on (config, i, the source pixels): the same bytes come out whichever worker,
shard or machine runs the unit. Bad sources raise InputError inside, and come back as a skip (name, reason).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from degrade.corpus.config import CorpusConfig, Task
from degrade.corpus.patches import Box, check_source_size, crop_box
from degrade.corpus.sampling import crop_rng, draw_sample, instruction_seed, task_labels
from degrade.corpus.sources import Source
from degrade.recipe import Recipe, replay
from restorebench.errors import InputError
from restorebench.imageio import encode_png
from restorebench.storage import Store

STAGES = ("decode", "degrade", "encode", "hash", "write")
"""Where a unit's time goes; ``decode`` includes the header check and cropping, ``degrade`` the instruction."""


@dataclass(frozen=True)
class Job:
    """What every worker needs: the config, the source, the corpus folder and the id width (digits)."""

    config: CorpusConfig
    source: Source
    store: Store
    id_width: int


@dataclass(frozen=True)
class Unit:
    """One source image (``source_index``) and its samples ``first .. first+count-1``."""

    source_index: int
    first: int
    count: int


@dataclass
class UnitResult:
    """The rows written for a unit, or the reason it was skipped; wall seconds per stage and CPU seconds."""

    source_index: int
    rows: list[dict] | None = None
    skip: tuple[str, str] | None = None
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    cpu_seconds: float = 0.0


def sample_id(index: int, width: int) -> str:
    """The file stem of sample ``index``: zero-padded to ``width`` digits."""
    return f"{index:0{width}d}"


def id_width(n_samples: int) -> int:
    """Digits in sample ids: 8, or more for corpora of 10**8 samples or more."""
    return max(8, len(str(max(n_samples - 1, 0))))


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    t0 = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] += time.perf_counter() - t0


def crop_sample(config: CorpusConfig, img: np.ndarray, patch_index: int, index: int) -> tuple[Box, np.ndarray]:
    """The crop box and the gt pixels (HxWx3 float32, contiguous) of sample ``index``, patch ``patch_index`` of
    the source image ``img`` (HxWx3 float32 in [0,1])."""
    height, width = img.shape[:2]
    x, y, w, h = crop_box(width, height, config.patches, patch_index, crop_rng(config, index))
    return (x, y, w, h), np.ascontiguousarray(img[y:y + h, x:x + w])


def degrade_sample(config: CorpusConfig, gt: np.ndarray, index: int) -> tuple[Task, Recipe, np.ndarray]:
    """The task, applied recipe and degraded image (HxWx3 float32 in [0,1]) of sample ``index``."""
    task, recipe = draw_sample(config, index)
    return task, recipe, replay(gt, recipe)


def _instruction_image(job: Job, recipe: Recipe, index: int) -> np.ndarray:
    from degrade.instructions import make_instruction

    ins = job.config.instructions
    return make_instruction(recipe, instruction_seed(job.config, index), ground=ins.ground, size=ins.size).degraded


def _emit(job: Job, res: UnitResult, kind: str, sid: str, img: np.ndarray, written: list[str]) -> dict:
    out = job.config.output
    with _timed(res.seconds, "encode"):
        data = encode_png(img, out.bits, out.compress_level, out.fast_png)
    with _timed(res.seconds, "hash"):
        digest = hashlib.sha256(data).hexdigest()
    rel = f"{kind}/{sid}.png"
    with _timed(res.seconds, "write"):
        job.store.write_bytes(rel, data)
    written.append(rel)
    return {f"{kind}_path": rel, f"{kind}_sha256": digest, f"{kind}_bytes": len(data)}


def process_unit(job: Job, unit: Unit) -> UnitResult:
    """Write every sample of ``unit``; a bad source (or a sample that fails) makes the whole unit a skip
    and removes the files the unit had already written."""
    cfg, k = job.config, unit.source_index
    name = job.source.names[k]
    res = UnitResult(k)
    cpu0 = time.process_time()
    written: list[str] = []
    try:
        with _timed(res.seconds, "decode"):
            width, height = job.source.size(k)
            check_source_size(width, height, cfg.patches, cfg.sources, name)
            img = job.source.read(k)
        rows = []
        for j in range(unit.count):
            i = unit.first + j
            sid = sample_id(i, job.id_width)
            with _timed(res.seconds, "decode"):
                (x, y, w, h), gt = crop_sample(cfg, img, j, i)
            with _timed(res.seconds, "degrade"):
                task, recipe, lq = degrade_sample(cfg, gt, i)
                ins = _instruction_image(job, recipe, i) if cfg.instructions.enabled else None
            row = {"index": i, "id": sid, "source": name, "source_index": k, "patch_index": j, "crop_x": x,
                   "crop_y": y, "crop_w": w, "crop_h": h, "seed": cfg.seed, "task": task.name,
                   "labels": task_labels(recipe), "recipe": recipe.to_json()}
            row.update(_emit(job, res, "gt", sid, gt, written))
            row.update(_emit(job, res, "lq", sid, lq, written))
            if ins is not None:
                row.update(_emit(job, res, "instruction", sid, ins, written))
            rows.append(row)
        res.rows = rows
    except InputError as exc:
        res.skip = (name, str(exc))
        for rel in written:
            job.store.remove(rel)
    res.cpu_seconds = time.process_time() - cpu0
    return res
