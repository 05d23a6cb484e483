"""Engines compared on one machine: items/s and start-up of serial, pool and dask for corpus generation.

    .venv/bin/python benchmarks/bench_engines.py [--source ../shared/data/clean/CBSD68] [--per-image 8]
                                                 [--size 256] [--workers 2] [--shard-size 50] [--repeat 2]

Writes the corpus of ``--per-image`` random ``--size`` px patches of every image of ``--source`` (default:
CBSD68 in ../shared, else scikit-image's bundled photos) with configs/corpus/example.yaml, once per engine,
into a temporary folder, and checks that every engine wrote the same bytes. ``start-up s`` is the wall time of
a map over one no-op item (pool: forkserver and workers; dask: LocalCluster, client, shutdown); ``img/s`` is
samples per wall second of the whole run, start-up included (best of ``--repeat``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench_generate import DEFAULT_SOURCE, REPO, bundled_source

from degrade.corpus import folder_source, generate, load_config, parse_config
from degrade.corpus.run import limit_threads, pool_preload, setup_worker
from restorebench.engine import Engine


def _noop(context: None, item: int) -> int:
    return item


def tree_digest(root: Path) -> dict[str, int]:
    """Relative path -> hash of the bytes, for every file of a corpus."""
    return {p.relative_to(root).as_posix(): hash(p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of clean images")
    p.add_argument("--per-image", type=int, default=8)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--shard-size", type=int, default=50, help="samples per shard task")
    p.add_argument("--repeat", type=int, default=2, help="runs per engine (the best is reported)")
    args = p.parse_args()
    limit_threads()
    base = load_config(REPO / "configs" / "corpus" / "example.yaml").to_dict()
    config = parse_config({**base, "patches": {"mode": "random", "size": args.size, "per_image": args.per_image}})
    engines = [Engine("serial"), Engine("pool", args.workers, preload=pool_preload()), Engine("dask", args.workers)]
    with tempfile.TemporaryDirectory(prefix="bench_engines_") as tmp:
        src_dir = args.source if args.source.is_dir() else bundled_source(Path(tmp))
        source = folder_source(src_dir)
        print(f"source: {src_dir} ({len(source.names)} images), {args.per_image} x {args.size}px patches each, "
              f"shard tasks of {args.shard_size} samples, {args.workers} workers")
        print(f"{'engine':>7} {'start-up s':>10} {'samples':>7} {'wall s':>7} {'img/s':>7} {'vs pool':>7}")
        rates: dict[str, float] = {}
        digests = []
        for engine in engines:
            t0 = time.perf_counter()
            list(engine.map(_noop, None, [0, 1], setup_worker))
            startup = time.perf_counter() - t0
            best = None
            for r in range(args.repeat):
                out = Path(tmp) / f"{engine.kind}-{r}"
                s = generate(source, out, config, progress=False, engine=engine, shard_size=args.shard_size)
                if best is None or s.wall < best.wall:
                    best = s
                digests.append(tree_digest(out))
            rates[engine.kind] = best.written / best.wall
            ratio = rates[engine.kind] / rates["pool"] if "pool" in rates else float("nan")
            print(f"{engine.kind:>7} {startup:>10.2f} {best.written:>7} {best.wall:>7.2f} "
                  f"{rates[engine.kind]:>7.1f} {ratio:>7.2f}")
        print("identical corpora:", all(d == digests[0] for d in digests))


if __name__ == "__main__":
    main()
