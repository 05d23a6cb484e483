"""Engines compared on one machine: start-up and img/s of serial, pool and dask for corpus generation.

    .venv/bin/python benchmarks/bench_engines.py [--source ../shared/data/clean/CBSD68] [--per-image 32]
                                                 [--size 256] [--workers 2] [--shard-size 50] [--repeat 2]

Writes the corpus of ``--per-image`` random ``--size`` px patches of every image of ``--source`` (default:
CBSD68 in ../shared, else scikit-image's bundled photos) with configs/corpus/example.yaml into a temporary
folder, with every engine in turn (``--repeat`` rounds, the best run reported), and checks that all runs wrote
the same bytes. Columns: ``start-up s`` (pool: forkserver and workers ready; dask: LocalCluster started and
its workers set up), ``whole run`` (img/s of ``generate`` as the CLI runs it, start-up included: the pool and
the LocalCluster are made per run) and ``after start-up`` (pool: the run less its start-up; dask: a run on an
already started cluster, as with ``--dask-address``).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench_generate import DEFAULT_SOURCE, REPO, bundled_source

from degrade.corpus import folder_source, generate, load_config, parse_config
from degrade.corpus.run import limit_threads, pool_preload, setup_worker
from restorebench.engine import Engine, local_cluster


def _noop(context: None, item: int) -> int:
    return item


def tree_digest(root: Path) -> dict[str, int]:
    """Relative path -> hash of the bytes, for every file of a corpus."""
    return {p.relative_to(root).as_posix(): hash(p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()}


def _warm(engine: Engine) -> float:
    """Seconds until ``engine``'s workers are started and set up (a map over two no-op items)."""
    t0 = time.perf_counter()
    list(engine.map(_noop, None, [0, 1], setup_worker))
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of clean images")
    p.add_argument("--per-image", type=int, default=32)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--shard-size", type=int, default=50, help="samples per shard task")
    p.add_argument("--repeat", type=int, default=2, help="rounds (the best run of each engine is reported)")
    args = p.parse_args()
    limit_threads()
    base = load_config(REPO / "configs" / "corpus" / "example.yaml").to_dict()
    config = parse_config({**base, "patches": {"mode": "random", "size": args.size, "per_image": args.per_image}})
    t0 = time.perf_counter()
    cluster = local_cluster(args.workers)
    running = Engine("dask", args.workers, cluster.scheduler_address)
    startup = {"serial": 0.0, "pool": 0.0, "dask": time.perf_counter() - t0 + _warm(running)}
    engines = {"serial": Engine("serial"), "pool": Engine("pool", args.workers, preload=pool_preload()),
               "dask": Engine("dask", args.workers)}
    whole = dict.fromkeys(engines, 0.0)
    after = dict.fromkeys(engines, 0.0)
    digests = []
    with tempfile.TemporaryDirectory(prefix="bench_engines_") as tmp:
        src_dir = args.source if args.source.is_dir() else bundled_source(Path(tmp))
        source = folder_source(src_dir)
        print(f"source: {src_dir} ({len(source.names)} images), {args.per_image} x {args.size}px patches each, "
              f"shard tasks of {args.shard_size} samples, {args.workers} workers")

        def run(engine: Engine, name: str) -> float:
            out = Path(tmp) / name
            s = generate(source, out, config, progress=False, engine=engine, shard_size=args.shard_size)
            digests.append(tree_digest(out))
            shutil.rmtree(out)
            return s.wall

        for r in range(args.repeat):
            startup["pool"] = max(startup["pool"], _warm(engines["pool"]))
            n = len(source.names) * args.per_image
            for kind, engine in engines.items():
                wall = run(engine, f"{kind}-{r}")
                whole[kind] = max(whole[kind], n / wall)
                after[kind] = max(after[kind], n / (wall - startup[kind]) if kind != "dask" else 0.0)
            after["dask"] = max(after["dask"], n / run(running, f"running-{r}"))
    cluster.close()
    print(f"{'engine':>7} {'start-up s':>10} {'whole run img/s':>15} {'after start-up img/s':>20} {'vs pool':>7}")
    for kind in engines:
        print(f"{kind:>7} {startup[kind]:>10.2f} {whole[kind]:>15.1f} {after[kind]:>20.1f} "
              f"{after[kind] / after['pool']:>7.2f}")
    print("identical corpora:", all(d == digests[0] for d in digests))


if __name__ == "__main__":
    main()
