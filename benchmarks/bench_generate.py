"""Corpus generation speed: img/s with 1 and 2 worker processes, and where the time goes.

    .venv/bin/python benchmarks/bench_generate.py [--source ../shared/data/clean/CBSD68] [--config FILE]
                                                  [--workers 1 2] [--per-image 4] [--size 256]

Cuts ``--per-image`` random ``--size`` px patches from every image of ``--source`` (default: CBSD68 in
../shared, else scikit-image's bundled photos), degrades them with the config's task mix (default
configs/corpus/example.yaml) and writes PNG pairs into a temporary folder. Rates are samples per wall-clock
second of the whole run after a warm-up run (the forkserver and the operators loaded, as in a long job).
``cpu ms/img`` is the workers' CPU time per sample (equal for 1 and 2 workers when nothing is shared or
serialized, so the wall-clock speed-up is then bounded only by free cores). The stage columns split the
workers' busy wall time: decode (+ crop), degrade, encode (PNG), hash (sha256), write (atomic rename).
The corpus writer is CPU code (numpy/OpenCV), so there is no --device option.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from degrade.corpus import folder_source, generate, load_config, parse_config
from degrade.corpus.run import limit_threads
from degrade.corpus.writer import STAGES

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "clean" / "CBSD68"


def bundled_source(folder: Path) -> Path:
    """scikit-image's photos as PNG files (the fallback source when ../shared is absent)."""
    from PIL import Image
    from skimage import data

    for name in ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry"):
        Image.fromarray(np.ascontiguousarray(getattr(data, name)())).save(folder / f"{name}.png")
    return folder


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of clean images")
    p.add_argument("--config", type=Path, default=REPO / "configs" / "corpus" / "example.yaml")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--per-image", type=int, default=4)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--repeat", type=int, default=1, help="runs per worker count (the best is reported)")
    args = p.parse_args()
    limit_threads()
    base_config = load_config(args.config).to_dict()
    config = parse_config({**base_config, "patches": {"mode": "random", "size": args.size, "per_image": args.per_image}})
    with tempfile.TemporaryDirectory(prefix="bench_generate_") as tmp:
        src_dir = args.source if args.source.is_dir() else bundled_source(Path(tmp))
        source = folder_source(src_dir)
        print(f"source: {src_dir} ({len(source.names)} images), {args.per_image} x {args.size}px patches each, "
              f"config: {args.config.name}")
        warm = replace(source, names=source.names[:2], paths=source.paths[:2])
        generate(warm, Path(tmp) / "warm", config, workers=max(args.workers), progress=False)
        head = (f"{'workers':>7} {'samples':>7} {'wall s':>7} {'img/s':>7} {'speed-up':>8} {'cpu ms/img':>10} | "
                + " ".join(f"{s:>7}" for s in STAGES) + " | encode+hash")
        print(head)
        print("-" * len(head))
        base = None
        for w in args.workers:
            best = None
            for r in range(args.repeat):
                out = Path(tmp) / f"w{w}-{r}"
                s = generate(source, out, config, workers=w, progress=False)
                shutil.rmtree(out)
                if best is None or s.wall < best.wall:
                    best = s
            rate = best.written / best.wall
            base = base or rate
            busy = sum(best.seconds.values())
            shares = [best.seconds[st] / busy for st in STAGES]
            print(f"{w:>7} {best.written:>7} {best.wall:>7.2f} {rate:>7.1f} {rate / base:>7.2f}x "
                  f"{1000 * best.cpu_seconds / best.written:>10.1f} | "
                  + " ".join(f"{100 * v:>6.1f}%" for v in shares)
                  + f" | {100 * (best.seconds['encode'] + best.seconds['hash']) / busy:.1f}%")


if __name__ == "__main__":
    main()
