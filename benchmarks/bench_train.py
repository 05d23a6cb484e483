"""Training throughput: img/s of ``restorebench train`` on a corpus on disk vs degraded on the fly.

For each data mode (``corpus``: PNG pairs written by ``generate``; ``on-the-fly``: the same pairs degraded in
the DataLoader) and each worker count, a fresh run of STEPS steps at PATCH x PATCH, batch BATCH; the table
gives img/s over the whole run and the share of wall time spent in the model step (forward, backward,
optimizer; the rest is waiting for data). The corpus is the aio3 training mix (``configs/train/aio3.yaml``)
on scikit-image's bundled photos unless ``--source`` names a folder or file list.

    python benchmarks/bench_train.py [--model promptir] [--size small] [--patch 128] [--batch 4] [--steps 20]
                                     [--workers 0,2] [--threads 1] [--device cpu] [--source DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from _timing import fmt, table

REPO = Path(__file__).resolve().parents[1]


def bundled_photos(folder: Path) -> Path:
    """scikit-image's larger bundled photos as PNG files in ``folder``."""
    import numpy as np
    from PIL import Image
    from skimage import data

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        Image.fromarray(np.ascontiguousarray(getattr(data, name)())).save(folder / f"{name}.png")
    return folder


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="promptir")
    p.add_argument("--size", default="small")
    p.add_argument("--patch", type=int, default=128)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--workers", default="0,2", help="comma-separated DataLoader worker counts")
    p.add_argument("--threads", type=int, default=1, help="torch threads of the training process")
    p.add_argument("--device", default="cpu")
    p.add_argument("--source", help="clean images (folder or file list); default: bundled photos")
    args = p.parse_args()

    from degrade.corpus import generate, load_config, open_source
    from restorebench.memory import keep_freed_memory
    from train import TrainConfig, train

    keep_freed_memory()
    spec = REPO / "configs" / "train" / "aio3.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source = Path(args.source) if args.source else bundled_photos(tmp / "photos")
        corpus = tmp / "corpus"
        generate(open_source(source), corpus, load_config(spec), workers=2, progress=False)
        base = TrainConfig(model=args.model, size=args.size, out="", steps=args.steps, batch=args.batch,
                           patch=args.patch, val_count=0, val_every=10**9, ckpt_every=10**9, keep=1,
                           threads=args.threads, device=args.device, progress=False)
        modes = {"corpus": {"corpus": str(corpus)}, "on-the-fly": {"spec": str(spec), "source": str(source)}}
        rows = []
        for mode, data in modes.items():
            for workers in (int(w) for w in args.workers.split(",")):
                run = tmp / f"run-{mode}-{workers}"
                s = train(replace(base, out=str(run), workers=workers, **data)).summary
                wait, step = s["data_wait_seconds_this_session"], s["step_seconds_this_session"]
                rows.append([mode, str(workers), fmt(args.steps * args.batch / (wait + step)),
                             f"{100 * step / (wait + step):.0f}%"])
    print(f"## {args.model} ({args.size}), {args.patch}x{args.patch}, batch {args.batch}, {args.steps} steps, "
          f"{args.threads} torch thread(s), {args.device}\n")
    print(table(["data", "workers", "img/s", "model step share of wall time"], rows))


if __name__ == "__main__":
    main()
