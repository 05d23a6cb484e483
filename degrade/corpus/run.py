"""Run a corpus job: numbering, shard tasks on an engine, resume, and merging machine shards.

* Shard tasks: the sources of a run are cut into runs of consecutive sources of about ``shard_size`` samples;
  a task ``(seed, start, stop)`` writes their files, then ``manifest/part-<start>.parquet`` (rows, and the
  skipped sources in its metadata). Tasks run on a :class:`restorebench.engine.Engine` (serial, a local
  process pool or Dask); the driver joins the parts into the manifest, checks the sample count and deletes them.
* Machine shards: source ``k`` (with all its samples) belongs to machine shard ``k % N``. A shard run writes its
  files into the shared ``gt/``/``lq/`` folders (names never collide) and its manifest to ``shards/``;
  ``merge_shards`` joins the N shard manifests into the ``manifest.parquet`` a single machine would have written.
* Resume: the rows of finished parts (and of an earlier manifest) are handed to the tasks, which re-hash their
  files (a file is never trusted because it exists) and redo only the sources that do not verify; temporary
  files of the killed run are deleted first. The final bytes equal an uninterrupted run's.
"""

from __future__ import annotations

import dataclasses
import math
import os
import pkgutil
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from degrade.corpus import manifest as mf
from degrade.corpus.config import CorpusConfig
from degrade.corpus.parts import ShardResult, make_tasks, part_start, run_task
from degrade.corpus.patches import Plan, make_plan
from degrade.corpus.sources import Source, fingerprint
from degrade.corpus.writer import STAGES, Job, Unit, id_width
from degrade.registry import list_ops
from restorebench.engine import Engine
from restorebench.errors import InputError, RestoreBenchError
from restorebench.memory import keep_freed_memory
from restorebench.storage import Store

FORMAT_VERSION = 1
MAX_SHARD_SIZE = 1000
"""Samples per shard task unless ``shard_size`` says otherwise (fewer when that leaves workers idle)."""


@dataclass
class RunSummary:
    """What a run did: samples written now / reused from before, sources skipped, the workers' wall seconds per
    stage and their CPU seconds, the run's wall seconds, and the files written."""

    written: int
    reused: int
    skipped: int
    samples: int
    seconds: dict[str, float]
    cpu_seconds: float
    wall: float
    manifest: str
    skipped_csv: str


def parse_shard(text: str) -> tuple[int, int]:
    """'i/N' -> (i, N) with 0 <= i < N."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise InputError(f"--shard {text!r}: expected i/N, e.g. 0/4") from None
    if not 0 <= i < n:
        raise InputError(f"--shard {text!r}: need 0 <= i < N")
    return i, n


def limit_threads() -> None:
    """One thread per process for OpenMP, torch and OpenCV (worker processes, and 1-worker CLI runs)."""
    import cv2
    import torch

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


def setup_worker() -> None:
    """Prepare a worker process: one thread, the allocator setting, the operator registry loaded (so that
    it is not inside the first unit's timings)."""
    limit_threads()
    keep_freed_memory()
    list_ops()


def pool_preload() -> tuple[str, ...]:
    """Modules a process pool's forkserver imports once, so that its workers start warm."""
    import degrade.ops

    families = [f"degrade.ops.{m.name}" for m in pkgutil.iter_modules(degrade.ops.__path__)]
    return ("torch", "cv2", "numba", "degrade.corpus.run", *families)


def _encoder_versions() -> dict[str, str]:
    """Versions of the libraries whose output bytes the corpus depends on (informational)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("numpy", "opencv-python-headless", "fpng"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "absent"
    return out


def _corpus_info(config: CorpusConfig, source: Source, plan: Plan) -> dict:
    return {"format_version": FORMAT_VERSION, "config": config.to_dict(), "n_samples": plan.n_samples,
            "source": {"kind": source.kind, "location": source.location, "count": len(source.names),
                       "fingerprint": fingerprint(source)}, "software": _encoder_versions()}


def _same_corpus(a: dict, b: dict) -> bool:
    """Equal except the source location (shards on other machines may mount the data elsewhere) and the
    software versions (recorded so that a byte difference between machines can be explained)."""
    def strip(d: dict) -> dict:
        return {**{k: v for k, v in d.items() if k != "software"},
                "source": {k: v for k, v in d["source"].items() if k != "location"}}

    return strip(a) == strip(b)


def _claim_root(store: Store, info: dict) -> None:
    existing = mf.read_corpus_json(store)
    if existing is None:
        if any(not name.startswith(f".{mf.CORPUS_JSON}.tmp") for name in store.listdir()):
            raise InputError(f"{store}: folder is not empty and holds no corpus; choose a new output folder")
        mf.write_corpus_json(store, info)
    elif not _same_corpus(existing, info):
        raise InputError(f"{store}: holds a corpus made with another config or source list; use a new output folder")


def _outputs(shard: int, n_shards: int) -> tuple[str, str]:
    if n_shards == 1:
        return mf.MANIFEST, mf.SKIPPED
    run = mf.run_name(shard, n_shards)
    return f"{mf.SHARDS_DIR}/manifest-{run}.parquet", f"{mf.SHARDS_DIR}/skipped-{run}.csv"


def _mine(plan: Plan, shard: tuple[int, int], index: int) -> bool:
    return index < plan.n_samples and plan.source_of(index) % shard[1] == shard[0]


def _my_parts(store: Store, plan: Plan, shard: tuple[int, int]) -> list[str]:
    """Part files of this machine shard (from this run or an interrupted one)."""
    return [f"{mf.PARTS_DIR}/{name}" for name in store.listdir(mf.PARTS_DIR)
            if (start := part_start(name)) is not None and _mine(plan, shard, start)]


def _remove_stale_temporaries(store: Store, plan: Plan, shard: tuple[int, int]) -> None:
    """Delete temporary files (``.ID.png.tmp-PID.png``, ``.part-START.parquet.tmp-PID.parquet``) of this
    machine shard: left by a killed run, or by a worker that died while its task ran again elsewhere."""
    for folder in (*mf.FILE_KINDS, mf.PARTS_DIR):
        for name in store.temporaries(folder):
            stem = name[1:].split(".", 1)[0].removeprefix("part-")
            if stem.isdigit() and _mine(plan, shard, int(stem)):
                store.remove(f"{folder}/{name}")


def _previous_rows(store: Store, final: str, parts: list[str]) -> dict[int, list[dict]]:
    """Rows of an earlier run by source: its manifest (if readable), then its parts."""
    done: dict[int, list[dict]] = {}
    sources = [final, *parts] if store.exists(final) else parts
    for rel in sources:
        try:
            rows = mf.load_manifest(store, rel)[0]
        except InputError:
            continue  # a damaged file: its sources are written again (same bytes)
        by_source: dict[int, list[dict]] = {}
        for row in rows:
            by_source.setdefault(row["source_index"], []).append(row)
        done.update(by_source)
    return done


def _default_shard_size(samples: int, engine: Engine) -> int:
    """MAX_SHARD_SIZE, or fewer so that each worker gets at least 4 tasks."""
    return max(1, min(MAX_SHARD_SIZE, math.ceil(samples / (4 * engine.workers))))


def generate(source: Source, root: str | Path, config: CorpusConfig, workers: int = 1,
             shard: tuple[int, int] = (0, 1), resume: bool = False, progress: bool = True,
             engine: Engine | None = None, shard_size: int | None = None) -> RunSummary:
    """Write the samples of machine shard ``shard = (i, N)`` of the corpus of ``source`` under ``config`` into
    ``root`` (a path or an fsspec URL).

    ``engine`` runs the shard tasks (default: a process pool of ``workers``, or this process for 1);
    ``shard_size`` is the samples per task (default: see :func:`_default_shard_size`). Returns a
    :class:`RunSummary`; bad sources are listed in skipped.csv (shard runs: ``shards/skipped-*.csv``). Raises
    InputError when ``root`` holds another corpus, or an earlier run of this shard unless ``resume``.
    """
    t0 = time.perf_counter()
    store = Store(root)
    index, n_shards = shard
    engine = engine or Engine("pool" if workers > 1 else "serial", workers)
    if not 0 <= index < n_shards:
        raise InputError(f"shard {index}/{n_shards}: need 0 <= i < N")
    if shard_size is not None and shard_size < 1:
        raise InputError(f"--shard-size {shard_size}: need at least 1 sample")
    if not source.names:
        raise InputError(f"{source.location}: no source images")
    plan = make_plan(source, config.patches, config.sources)
    _claim_root(store, _corpus_info(config, source, plan))
    final, skipped_csv = _outputs(index, n_shards)
    parts = _my_parts(store, plan, shard)
    if not resume and (store.exists(final) or parts):
        raise InputError(f"{root}: this run ({mf.run_name(index, n_shards)}) was started before; pass --resume")
    mine = range(index, len(source.names), n_shards)
    skips = {k: (source.names[k], plan.prescan_skips[k]) for k in mine if k in plan.prescan_skips}
    units = [Unit(k, plan.offsets[k], plan.count(k)) for k in mine if k not in skips]
    previous = _previous_rows(store, final, parts) if resume else {}
    _remove_stale_temporaries(store, plan, shard)
    expected = sum(u.count for u in units)
    tasks = make_tasks(units, shard_size or _default_shard_size(expected, engine), previous)
    job = Job(config, source, store if store.local is None else Store(store.local.resolve()), id_width(plan.n_samples))
    if engine.kind == "pool" and not engine.preload:
        engine = dataclasses.replace(engine, preload=pool_preload())
    summary = RunSummary(0, 0, 0, 0, dict.fromkeys(STAGES, 0.0), 0.0, 0.0, store.full(final), store.full(skipped_csv))
    rows: list[dict] = []
    desc = "generate" if n_shards == 1 else f"generate {mf.run_name(index, n_shards)}"
    bar = tqdm(total=expected, unit="img", desc=desc, disable=not progress, smoothing=0.1)
    try:
        for res in engine.map(run_task, job, tasks, setup_worker):
            _add(summary, res, rows, skips, plan, bar)
    finally:
        bar.close()
    _remove_stale_temporaries(store, plan, shard)
    want = sum(u.count for u in units if u.source_index not in skips)
    if len({r["index"] for r in rows}) != want or len(rows) != want:
        raise RestoreBenchError(f"{root}: the shard tasks returned {len(rows)} samples, expected {want}; "
                                "rerun with --resume")
    mf.write_manifest(store, final, rows)
    mf.write_skipped(store, skipped_csv, {k: skips[k] for k in sorted(skips)})
    for rel in _my_parts(store, plan, shard):
        store.remove(rel)
    store.remove_empty_dir(mf.PARTS_DIR)
    summary.skipped, summary.samples, summary.wall = len(skips), len(rows), time.perf_counter() - t0
    return summary


def _add(summary: RunSummary, res: ShardResult, rows: list[dict], skips: dict[int, tuple[str, str]], plan: Plan,
         bar: tqdm) -> None:
    """Account one finished shard task in the summary, the rows, the skips and the progress bar."""
    for stage, s in res.seconds.items():
        summary.seconds[stage] += s
    summary.cpu_seconds += res.cpu_seconds
    summary.written += res.written
    summary.reused += res.reused
    rows += res.rows
    skips.update(res.skips)
    bar.total -= sum(plan.count(k) for k in res.skips)
    if res.skips:
        bar.set_postfix(skipped=len(skips))
    bar.update(len(res.rows))


def merge_shards(root: str | Path) -> str:
    """Join ``root/shards/manifest-shard-*-of-N.parquet`` (all N present) into ``root/manifest.parquet``.

    ``root`` is a path or an fsspec URL. The result (manifest and skipped.csv) is byte-identical to a
    single-machine run's; the shard manifests are removed afterwards. Returns the manifest's location. Raises
    InputError when a shard is missing, unfinished, or already merged.
    """
    store = Store(root)
    if store.exists(mf.MANIFEST):
        raise InputError(f"{root}: already has {mf.MANIFEST}; nothing to merge")
    found = [n for n in store.listdir(mf.SHARDS_DIR) if n.startswith("manifest-shard-") and n.endswith(".parquet")]
    if not found:
        raise InputError(f"{root}: no shard manifests in {store.full(mf.SHARDS_DIR)}; run "
                         "`restorebench generate --shard i/N` first")
    counts = {int(n.removesuffix(".parquet").rsplit("-of-", 1)[1]) for n in found}
    if len(counts) != 1:
        raise InputError(f"{store.full(mf.SHARDS_DIR)}: shard manifests of different shard counts {sorted(counts)}")
    n = counts.pop()
    present = {int(name.split("-")[2]) for name in found}
    missing = [mf.run_name(i, n) for i in range(n) if i not in present]
    if missing:
        raise InputError(f"{root}: shard(s) {missing} not finished; run them (or copy their output here) first")
    rows: list[dict] = []
    skips: dict[int, tuple[str, str]] = {}
    for i in range(n):
        manifest, skipped = _outputs(i, n)
        rows += mf.load_manifest(store, manifest)[0]
        skips.update(mf.read_skipped(store, skipped))
    indices = [r["index"] for r in rows]
    if len(set(indices)) != len(indices):
        raise InputError(f"{store.full(mf.SHARDS_DIR)}: shard manifests overlap (duplicate sample indices)")
    mf.write_manifest(store, mf.MANIFEST, rows)
    mf.write_skipped(store, mf.SKIPPED, skips)
    for i in range(n):
        for rel in _outputs(i, n):
            store.remove(rel)
    store.remove_empty_dir(mf.SHARDS_DIR)
    return store.full(mf.MANIFEST)
