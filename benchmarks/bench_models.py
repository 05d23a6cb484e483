"""Restoration speed: megapixels/s of every runnable registry entry, untiled and tiled.

One SIZE x SIZE RGB image per call (the astronaut photo after JPEG q50, so that jpeg-deblock has work;
batch 1, as `restorebench restore` runs), on --device; on the CPU numpy, OpenCV and torch are pinned to
one thread (rates per core, as in the other benchmarks). "tiled" restores the same image with --tile
(default SIZE/2, so four or more windows with blended overlaps) and the entry's default overlap, which
shows the cost of tiling. Learned entries whose weights are absent
here are timed with random weights when --random is given (same architecture, same cost). Classical
methods always run on the CPU (numpy); learned ones on --device (fp16 with --half where supported).

    python benchmarks/bench_models.py [--device cuda] [--size 256] [--tile 128] [--seconds 1]
                                      [--models 'dncnn*' ...] [--random] [--allow-academic] [--half]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _timing import rate, single_thread, table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--size", type=int, default=256, help="image side, pixels")
    ap.add_argument("--tile", type=int, help="tile side, pixels (default size/2)")
    ap.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    ap.add_argument("--models", nargs="*", default=["*"], help="shell patterns of registry names")
    ap.add_argument("--random", action="store_true", help="time learned entries without weights on random ones")
    ap.add_argument("--allow-academic", action="store_true", help="include non-commercial entries")
    ap.add_argument("--half", action="store_true", help="fp16 on CUDA for entries that support it")
    args = ap.parse_args(argv)
    if args.device == "cpu":
        single_thread()

    import torch
    from skimage import data, transform

    import degrade
    import models
    from restorebench.errors import RestoreBenchError

    img = transform.resize(data.astronaut(), (args.size, args.size), anti_aliasing=True).astype("float32")
    img = degrade.get("jpeg.compress").apply(img, {"quality": 50, "subsampling": "420"})  # jpeg-deblock has work
    x = torch.from_numpy(img).permute(2, 0, 1)[None].contiguous().to(args.device)
    sync = torch.cuda.synchronize if x.is_cuda else None
    tile = args.tile or args.size // 2
    mp = args.size * args.size / 1e6
    allow = True if args.allow_academic else None
    headers = ["model", "family", "MP/s untiled", f"MP/s tile {tile}", "note"]
    print(f"restoration speed, {args.size}x{args.size} RGB, batch 1, device {args.device}, "
          f"tile {tile} (MP/s = megapixels per second)", flush=True)
    rows = []
    for name in models.list_models(args.models):
        info = models.info(name)
        ok, why = models.availability(name, allow_academic=allow)
        weights = None
        if not ok:
            if not (args.random and info.family != "classical" and "weights unavailable" in why):
                rows.append([name, info.family, "-", "-", "skipped: " + why[:60]])
                continue
            weights = "random"
        options = {"half": True} if args.half and info.fp16 and info.family != "classical" else {}
        try:
            r = models.load(name, device=args.device, weights=weights, allow_academic=allow, **options)
            untiled = rate(lambda r=r: r(x), 1, args.seconds, sync, warmup=1, max_calls=50) * mp
            r.tile = tile
            tiled = rate(lambda r=r: r(x), 1, args.seconds, sync, warmup=1, max_calls=50) * mp
        except (RestoreBenchError, RuntimeError) as exc:
            rows.append([name, info.family, "-", "-", "failed: " + " ".join(str(exc).split())[:60]])
            continue
        note = "random weights" if weights == "random" else ""
        rows.append([name, info.family, f"{untiled:.3g}", f"{tiled:.3g}", note])
        print(f"  {name}: {untiled:.3g} / {tiled:.3g} MP/s", file=sys.stderr, flush=True)
    print(table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
