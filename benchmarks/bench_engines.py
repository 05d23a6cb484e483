"""Engines compared on one machine: start-up and img/s of serial, pool and dask for corpus generation.

    .venv/bin/python benchmarks/bench_engines.py [--source ../shared/data/clean/CBSD68] [--per-image 32]
                                                 [--size 256] [--workers 2] [--shard-size 50] [--rounds 3]

Writes the corpus of ``--per-image`` random ``--size`` px patches of every image of ``--source`` (default:
CBSD68 in ../shared, else scikit-image's bundled photos) with configs/corpus/example.yaml into a temporary
folder, with every engine in turn, ``--rounds`` times (the engines interleaved, so that a load that comes and
goes hits them alike), and checks that all runs wrote the same bytes. Every run is a fresh Python process that
calls ``generate`` as ``restorebench generate --engine E --workers W`` does: the pool starts its forkserver,
Dask its LocalCluster, both cold. Columns (median over the rounds, [lowest-highest]):

* ``start-up s``: the time to the first result less that task's own busy time (engine and workers started,
  set up, first imports).
* ``whole run``: samples per second of the whole call, start-up included.
* ``after start-up``: samples per second once every worker has returned its first task (the samples of the
  later tasks over the time from that result to the last), the same measure for every engine; it is what a
  long job, or one on an already running cluster (``--dask-address``), gets.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_generate import DEFAULT_SOURCE, REPO, bundled_source

from degrade.corpus import folder_source, generate, load_config, parse_config
from degrade.corpus.run import limit_threads
from restorebench.engine import Engine

KINDS = ("serial", "pool", "dask")


@dataclass
class TimedEngine(Engine):
    """An Engine that notes, for each result, (seconds since the map began, samples, the task's busy seconds)."""

    results: list[tuple[float, int, float]] = field(default_factory=list)

    def map(self, fn: Callable, context: Any, items: Any, setup: Callable[[], None] | None = None) -> Iterator:
        t0 = time.perf_counter()
        for res in super().map(fn, context, items, setup):
            self.results.append((time.perf_counter() - t0, len(res.rows), sum(res.seconds.values())))
            yield res


def tree_digest(root: Path) -> dict[str, int]:
    """Relative path -> hash of the bytes, for every file of a corpus."""
    return {p.relative_to(root).as_posix(): hash(p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()}


def run_one(kind: str, out: Path, args: argparse.Namespace) -> dict[str, float]:
    """Write the corpus into ``out`` with engine ``kind``; its start-up s, whole and after-start-up img/s."""
    base = load_config(REPO / "configs" / "corpus" / "example.yaml").to_dict()
    config = parse_config({**base, "patches": {"mode": "random", "size": args.size, "per_image": args.per_image}})
    source = folder_source(args.source)
    workers = 1 if kind == "serial" else args.workers
    engine = TimedEngine(kind, workers)
    if kind == "serial":
        limit_threads()
    s = generate(source, out, config, progress=False, engine=engine, shard_size=args.shard_size)
    times = engine.results
    first, later = times[workers - 1][0], times[workers:]
    return {"start-up": times[0][0] - times[0][2], "whole": s.samples / s.wall,
            "after": sum(n for _, n, _ in later) / (times[-1][0] - first)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of clean images")
    p.add_argument("--per-image", type=int, default=32)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--shard-size", type=int, default=50, help="samples per shard task")
    p.add_argument("--rounds", type=int, default=3, help="runs of each engine, interleaved")
    p.add_argument("--one", metavar="ENGINE", choices=KINDS, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.out, args)))
        return
    with tempfile.TemporaryDirectory(prefix="bench_engines_") as tmp:
        src_dir = args.source if args.source.is_dir() else bundled_source(Path(tmp))
        print(f"source: {src_dir} ({len(folder_source(src_dir).names)} images), {args.per_image} x {args.size}px "
              f"patches each, shard tasks of {args.shard_size} samples, {args.workers} workers; "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
        runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in KINDS}
        digests = []
        for r in range(args.rounds):
            for kind in KINDS:
                out = Path(tmp) / f"{kind}-{r}"
                cmd = [sys.executable, __file__, "--one", kind, "--out", str(out), "--source", str(src_dir),
                       "--per-image", str(args.per_image), "--size", str(args.size),
                       "--workers", str(args.workers), "--shard-size", str(args.shard_size)]
                res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
                runs[kind].append(res)
                digests.append(tree_digest(out))
                shutil.rmtree(out)
                print(f"round {r} {kind:>6}: start-up {res['start-up']:5.2f} s, whole run {res['whole']:6.1f} img/s, "
                      f"after start-up {res['after']:6.1f} img/s; load average {os.getloadavg()[0]:.1f}", flush=True)
    median = {kind: {k: statistics.median(r[k] for r in v) for k in v[0]} for kind, v in runs.items()}
    print(f"{'engine':>7} {'start-up s':>18} {'whole run img/s':>22} {'after start-up img/s':>22} {'vs pool':>7}")
    for kind, v in runs.items():
        cells = [f"{median[kind][k]:.{2 if k == 'start-up' else 0}f} "
                 f"[{min(r[k] for r in v):.{2 if k == 'start-up' else 0}f}-"
                 f"{max(r[k] for r in v):.{2 if k == 'start-up' else 0}f}]" for k in ("start-up", "whole", "after")]
        print(f"{kind:>7} {cells[0]:>18} {cells[1]:>22} {cells[2]:>22} "
              f"{median[kind]['after'] / median['pool']['after']:>7.2f}")
    print("identical corpora:", all(d == digests[0] for d in digests))


if __name__ == "__main__":
    main()
