"""Where the time of a batch goes: for each degradation operator (or the rain -> noise -> snow mixture) on
the torch batch path and each learned metric, the wall time per batch, the time the device spends in its
kernels (torch.profiler), their ratio and the kernels that take most of it. A device busy for a small share
of the wall time waits on the host (per-sample parameter work, launches, synchronizations); one busy for
most of it is limited by its kernels.

    python benchmarks/profile_batch.py [--device cuda] [--batch 64] [--size 512] [--ops 'blur.motion,mixture']
                                       [--metrics dists,lpips] [--precision bf16] [--iters 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, os.path.dirname(__file__))
from _timing import table
from bench_degrade import selected, spec_of
from bench_metrics import make_pairs, random_weight_files


def profile(fn: Callable[[], object], device: torch.device, iters: int) -> tuple[float, float, list[tuple[str, float]]]:
    """(wall ms per call without the profiler, device kernel ms per call, the 4 costliest kernels' ms per call);
    on the CPU 'kernel' time is the operators' own CPU time."""
    cuda = device.type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    fn()
    sync()
    start = time.perf_counter()
    for _ in range(iters):
        fn()
    sync()
    wall = (time.perf_counter() - start) / iters * 1e3
    activities = [torch.profiler.ProfilerActivity.CPU] + ([torch.profiler.ProfilerActivity.CUDA] if cuda else [])
    with torch.profiler.profile(activities=activities) as prof:
        for _ in range(iters):
            fn()
        sync()
    # on a GPU only the kernels themselves (an operator's entry repeats its kernels' time)
    kind = torch.autograd.DeviceType.CUDA if cuda else torch.autograd.DeviceType.CPU
    attr = "self_device_time_total" if cuda else "self_cpu_time_total"
    events = [(e.key, getattr(e, attr) / 1e3 / iters) for e in prof.key_averages() if e.device_type == kind]
    events = [e for e in events if e[1] > 0]
    busy = sum(ms for _, ms in events)
    return wall, busy, sorted(events, key=lambda e: -e[1])[:4]


def row(label: str, wall: float, busy: float, top: list[tuple[str, float]], items: int) -> list[str]:
    kernels = "; ".join(f"{name[:48]} {ms:.2f}" for name, ms in top)
    return [label, f"{wall:.2f}", f"{items / wall * 1e3:,.0f}", f"{busy:.2f}", f"{busy / wall:.0%}", kernels]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--ops", default="blur.motion,rain.streaks,snow.layers,noise.gaussian,jpeg.compress,mixture",
                   help="comma-separated operator names or shell patterns ('mixture': rain -> noise -> snow)")
    p.add_argument("--metrics", default="dists,lpips", help="learned metrics, random-weight backbones ('' for none)")
    p.add_argument("--precision", default="bf16", help="the metrics' precision on a GPU (fp32 on the CPU)")
    p.add_argument("--iters", type=int, default=5)
    args = p.parse_args()

    import degrade
    from benchmark.metrics import build_metric
    from restorebench.seeding import sample_rng

    device = torch.device(args.device)
    gen = torch.Generator(device=device).manual_seed(0)
    x = torch.rand(args.batch, 3, args.size, args.size, device=device, generator=gen)
    rows = []
    for pattern in args.ops.split(","):
        for name in selected(pattern):
            recipes = [degrade.sample_recipe(spec_of(name), sample_rng(0, i)) for i in range(args.batch)]
            rows.append(row(name, *profile(lambda r=recipes: degrade.replay_batch(x, r), device, args.iters),
                            args.batch))
    if args.metrics:
        pred, gt = make_pairs(args.batch, args.size, device)
        precision = args.precision if device.type == "cuda" else "fp32"
        with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
            files = random_weight_files(Path(tmp))
            for name in args.metrics.split(","):
                metric = build_metric(name, "pyiqa", device, precision=precision, **files[name])
                rows.append(row(f"{name} ({precision}, pairs)", *profile(lambda m=metric: m.score(pred, gt), device,
                                                                         args.iters), args.batch))
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    print(f"{where}, batch {args.batch}, {args.size}x{args.size}, {args.iters} calls each\n")
    print(table(["work", "wall ms/batch", "items/s", "kernel ms/batch", "kernel share", "costliest kernels (ms/batch)"],
                rows))


if __name__ == "__main__":
    main()
