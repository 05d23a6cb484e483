"""Degradation detector throughput: img/s of a detector (default ``models.detect.DEFAULT_DETECTOR``) at
SIZE x SIZE on the CPU (one thread by default) or on ``--device cuda``, one image at a time and in batches of
BATCH, as ``restorebench detect`` and ``auto`` call it (images handed over as float32 CPU tensors, per-image
results back on the CPU).

    python benchmarks/bench_detect.py [--detector NAME] [--size 256] [--batch 16] [--threads 1] [--seconds 3]
                                      [--weights random] [--device cuda]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _timing import fmt, rate, table


def main() -> None:
    import torch

    from models.detect import DEFAULT_DETECTOR, load_detector

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--detector", default=DEFAULT_DETECTOR)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--weights", help="'random' to time without the shipped file (same speed)")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    detector = load_detector(args.detector, weights=args.weights, device=args.device)
    g = torch.Generator().manual_seed(0)
    rows = []
    for batch in (1, args.batch):
        x = torch.rand(batch, 3, args.size, args.size, generator=g)
        rows.append([str(batch), fmt(rate(lambda x=x: detector(x), batch, args.seconds))])
    where = (torch.cuda.get_device_name(detector.device) if detector.device.type == "cuda"
             else f"{args.threads} CPU thread(s)")
    print(f"detector {detector.info.name}, {args.size}x{args.size}, {where}")
    print(table(["batch", "img/s"], rows))


if __name__ == "__main__":
    main()
