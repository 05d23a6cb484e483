"""Run a corpus job: numbering, shards, worker processes, resume after a kill, and merging shard manifests.

* Shards: source ``k`` (with all its samples) belongs to shard ``k % N``. A shard run writes its files into
  the shared ``gt/``/``lq/`` folders (names never collide) and its manifest to ``shards/``; ``merge_shards``
  joins the N shard manifests into the ``manifest.parquet`` a single machine would have written.
* Workers: ``workers > 1`` runs units in a ``ProcessPoolExecutor`` (``forkserver`` with torch, OpenCV, numba and
  the operators preloaded; ``spawn`` where forkserver is missing), one thread each (torch, OpenCV, OpenMP); the
  parent alone writes the record log and the manifest. ``workers == 1`` runs in this process. A worker that
  dies (out of memory) stops the run with a one-line error; ``--resume`` continues it.
* Resume: the parent appends each finished source's rows to ``.partial/<run>.jsonl``. ``resume=True`` re-hashes
  every recorded file (never trusting a half-written one), keeps sources whose files all verify, deletes
  stale temporary files of this run and redoes the rest; the final bytes equal an uninterrupted run's.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import pkgutil
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from degrade.corpus import manifest as mf
from degrade.corpus.config import CorpusConfig
from degrade.corpus.patches import Plan, make_plan
from degrade.corpus.sources import Source, fingerprint
from degrade.corpus.verify import rows_intact
from degrade.corpus.writer import STAGES, Job, Unit, UnitResult, id_width, process_unit
from degrade.registry import list_ops
from restorebench.errors import InputError, RestoreBenchError
from restorebench.memory import keep_freed_memory

FORMAT_VERSION = 1


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
    manifest: Path
    skipped_csv: Path


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


_WORKER_JOB: Job | None = None


def _init_worker(job: Job) -> None:
    global _WORKER_JOB
    limit_threads()
    keep_freed_memory()
    list_ops()  # load the operator registry now, not inside the first unit's timings
    _WORKER_JOB = job


def _run_unit(unit: Unit) -> UnitResult:
    return process_unit(_WORKER_JOB, unit)


def _pool_context() -> mp.context.BaseContext:
    """'forkserver' (Linux, macOS) preloading torch, OpenCV, numba and the operators, so workers fork warm; else 'spawn'."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    import degrade.ops

    ctx = mp.get_context("forkserver")
    families = [f"degrade.ops.{m.name}" for m in pkgutil.iter_modules(degrade.ops.__path__)]
    ctx.set_forkserver_preload(["torch", "cv2", "numba", "degrade.corpus.run", *families])
    return ctx


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


def _claim_root(root: Path, info: dict) -> None:
    existing = mf.read_corpus_json(root / mf.CORPUS_JSON)
    if existing is None:
        if root.is_dir() and any(not p.name.startswith(f".{mf.CORPUS_JSON}.tmp") for p in root.iterdir()):
            raise InputError(f"{root}: folder is not empty and holds no corpus; choose a new output folder")
        root.mkdir(parents=True, exist_ok=True)
        mf.write_corpus_json(root / mf.CORPUS_JSON, info)
    elif not _same_corpus(existing, info):
        raise InputError(f"{root}: holds a corpus made with another config or source list; use a new output folder")


def _outputs(root: Path, shard: int, n_shards: int) -> tuple[Path, Path, mf.RecordLog]:
    run = mf.run_name(shard, n_shards)
    log = mf.RecordLog(root / mf.PARTIAL_DIR / f"{run}.jsonl")
    if n_shards == 1:
        return root / mf.MANIFEST, root / mf.SKIPPED, log
    return root / mf.SHARDS_DIR / f"manifest-{run}.parquet", root / mf.SHARDS_DIR / f"skipped-{run}.csv", log


def _remove_stale_temporaries(root: Path, plan: Plan, shard: tuple[int, int]) -> None:
    """Delete temporary files (``.ID.png.tmp-PID.png``) that a killed run of this shard left behind."""
    for kind in mf.FILE_KINDS:
        folder = root / kind
        if not folder.is_dir():
            continue
        for p in folder.glob(".*.tmp-*"):
            stem = p.name[1:].split(".", 1)[0]
            if stem.isdigit() and int(stem) < plan.n_samples and plan.source_of(int(stem)) % shard[1] == shard[0]:
                p.unlink(missing_ok=True)


def _previous_rows(final: Path, log: mf.RecordLog) -> dict[int, list[dict]]:
    done: dict[int, list[dict]] = {}
    try:
        rows = mf.read_manifest(final) if final.is_file() else []
    except InputError:
        rows = []  # a damaged manifest: its sources are written again (same bytes) and the manifest rebuilt
    for row in rows:
        done.setdefault(row["source_index"], []).append(row)
    done.update(log.load())
    return done


def _results(job: Job, units: list[Unit], workers: int) -> Iterator[UnitResult]:
    """Unit results in completion order; at most 4 units per worker are queued at a time."""
    if workers == 1 or len(units) <= 1:
        for unit in units:
            yield process_unit(job, unit)
        return
    n = min(workers, len(units))
    todo = iter(units)
    pool = ProcessPoolExecutor(n, mp_context=_pool_context(), initializer=_init_worker, initargs=(job,))
    try:
        pending = {pool.submit(_run_unit, unit) for unit in itertools.islice(todo, 4 * n)}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
                pending |= {pool.submit(_run_unit, unit) for unit in itertools.islice(todo, 1)}
    except BrokenProcessPool as exc:
        raise RestoreBenchError("a worker process died (killed, out of memory, or it could not start: run from a "
                                "script file, not stdin); finished sources are recorded: rerun with --resume") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def generate(source: Source, root: str | Path, config: CorpusConfig, workers: int = 1,
             shard: tuple[int, int] = (0, 1), resume: bool = False, progress: bool = True) -> RunSummary:
    """Write the samples of shard ``shard = (i, N)`` of the corpus of ``source`` under ``config`` into ``root``.

    Returns a :class:`RunSummary`; bad sources are listed in skipped.csv (shard runs: ``shards/skipped-*.csv``).
    Raises InputError when ``root`` holds another corpus, or an earlier run of this shard unless ``resume``.
    """
    t0 = time.perf_counter()
    root = Path(root)
    index, n_shards = shard
    if workers < 1:
        raise InputError(f"workers={workers}: need at least 1")
    if not 0 <= index < n_shards:
        raise InputError(f"shard {index}/{n_shards}: need 0 <= i < N")
    if not source.names:
        raise InputError(f"{source.location}: no source images")
    plan = make_plan(source, config.patches, config.sources)
    _claim_root(root, _corpus_info(config, source, plan))
    final, skipped_csv, log = _outputs(root, index, n_shards)
    if not resume and (final.is_file() or log.path.is_file()):
        raise InputError(f"{root}: this run ({mf.run_name(index, n_shards)}) was started before; pass --resume")
    mine = range(index, len(source.names), n_shards)
    skips = {k: (source.names[k], plan.prescan_skips[k]) for k in mine if k in plan.prescan_skips}
    previous = _previous_rows(final, log) if resume else {}
    done = {k: rows for k, rows in previous.items()
            if k % n_shards == index and len(rows) == plan.count(k) and rows_intact(root, rows)}
    _remove_stale_temporaries(root, plan, shard)
    units = [Unit(k, plan.offsets[k], plan.count(k)) for k in mine if k not in skips and k not in done]
    job = Job(config, source, root.resolve(), id_width(plan.n_samples))
    reused = sum(map(len, done.values()))
    seconds = dict.fromkeys(STAGES, 0.0)
    cpu = 0.0
    written = 0
    total = reused + sum(u.count for u in units)
    desc = "generate" if n_shards == 1 else f"generate {mf.run_name(index, n_shards)}"
    bar = tqdm(total=total, initial=reused, unit="img", desc=desc, disable=not progress, smoothing=0.1)
    try:
        for res in _results(job, units, workers):
            for stage, s in res.seconds.items():
                seconds[stage] += s
            cpu += res.cpu_seconds
            if res.skip is not None:
                skips[res.source_index] = res.skip
                bar.total -= plan.count(res.source_index)
                bar.set_postfix(skipped=len(skips))
            else:
                log.append(res.source_index, res.rows)
                done[res.source_index] = res.rows
                written += len(res.rows)
                bar.update(len(res.rows))
    finally:
        bar.close()
        log.close()
    rows = [row for k in sorted(done) for row in done[k]]
    mf.write_manifest(final, rows)
    mf.write_skipped(skipped_csv, {k: skips[k] for k in sorted(skips)})
    log.remove()
    try:
        log.path.parent.rmdir()
    except OSError:
        pass  # other shards' logs are still there
    return RunSummary(written, reused, len(skips), len(rows), seconds, cpu, time.perf_counter() - t0, final,
                      skipped_csv)


def merge_shards(root: str | Path) -> Path:
    """Join ``root/shards/manifest-shard-*-of-N.parquet`` (all N present) into ``root/manifest.parquet``.

    The result (manifest and skipped.csv) is byte-identical to a single-machine run's; the shard manifests
    are removed afterwards. Raises InputError when a shard is missing, unfinished, or already merged.
    """
    root = Path(root)
    shard_dir = root / mf.SHARDS_DIR
    if (root / mf.MANIFEST).is_file():
        raise InputError(f"{root}: already has {mf.MANIFEST}; nothing to merge")
    found = sorted(shard_dir.glob("manifest-shard-*-of-*.parquet")) if shard_dir.is_dir() else []
    if not found:
        raise InputError(f"{root}: no shard manifests in {shard_dir}; run `restorebench generate --shard i/N` first")
    counts = {int(p.stem.rsplit("-of-", 1)[1]) for p in found}
    if len(counts) != 1:
        raise InputError(f"{shard_dir}: shard manifests of different shard counts {sorted(counts)}")
    n = counts.pop()
    present = {int(p.stem.split("-")[2]) for p in found}
    missing = [mf.run_name(i, n) for i in range(n) if i not in present]
    if missing:
        raise InputError(f"{root}: shard(s) {missing} not finished; run them (or copy their output here) first")
    rows: list[dict] = []
    skips: dict[int, tuple[str, str]] = {}
    for i in range(n):
        rows += mf.read_manifest(shard_dir / f"manifest-{mf.run_name(i, n)}.parquet")
        skips.update(mf.read_skipped(shard_dir / f"skipped-{mf.run_name(i, n)}.csv"))
    indices = [r["index"] for r in rows]
    if len(set(indices)) != len(indices):
        raise InputError(f"{shard_dir}: shard manifests overlap (duplicate sample indices)")
    mf.write_manifest(root / mf.MANIFEST, rows)
    mf.write_skipped(root / mf.SKIPPED, skips)
    for i in range(n):
        for name in (f"manifest-{mf.run_name(i, n)}.parquet", f"skipped-{mf.run_name(i, n)}.csv"):
            (shard_dir / name).unlink(missing_ok=True)
    if not any(shard_dir.iterdir()):
        shard_dir.rmdir()
    return root / mf.MANIFEST
