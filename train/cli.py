"""``restorebench train``: train a registry architecture on a corpus, or on pairs degraded on the fly."""

from __future__ import annotations

import argparse
from dataclasses import fields

from train.config import TrainConfig

FLAGS = {f.name: f for f in fields(TrainConfig)}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="restorebench train",
        description="Train a restoration model (a registry name, e.g. promptir, airnet) on a corpus written by "
                    "`restorebench generate`, or on pairs degraded on the fly from --spec and --source with the "
                    "same per-sample seeds. Writes RUN_DIR/{config.json, log.csv, curves.png, checkpoints/, "
                    "final.pth, final.pth.sha256, summary.json}.")
    p.add_argument("--model", required=True, help="registry name of a learned or all-in-one architecture")
    p.add_argument("--size", default="small", help="architecture size: small (trains on a CPU) or paper")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run folder (new, or with --resume)")
    p.add_argument("--corpus", metavar="DIR", help="corpus folder (manifest.parquet) or its HF export")
    p.add_argument("--spec", metavar="CONFIG.yaml", help="corpus config (as `generate --config`), degraded on the fly")
    p.add_argument("--source", metavar="DIR", help="clean images for --spec")
    p.add_argument("--val", metavar="DIR", help="held-out corpus; default: the last --val-count training samples")
    p.add_argument("--init", metavar="RUN/final.pth", help="the final weights of the method's earlier training "
                                                           "stage (defusion: a defusion-tokenizer run of the same size)")
    p.add_argument("--resume", action="store_true", help="continue the run in RUN_DIR from its newest checkpoint")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--register", metavar="NAME", help="after training, add the run as registry entry NAME to "
                                                      "--registry (default RUN_DIR/registry.yaml)")
    p.add_argument("--registry", metavar="FILE", help="registry YAML file for --register")
    for name in ("val_count", "seed", "steps", "batch", "patch", "warmup", "val_every", "ckpt_every", "keep",
                 "workers", "threads"):
        p.add_argument("--" + name.replace("_", "-"), type=int, default=FLAGS[name].default)
    for name in ("lr", "min_lr", "weight_decay", "grad_clip", "ema"):
        p.add_argument("--" + name.replace("_", "-"), type=float, default=FLAGS[name].default)
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    return p


def main(argv: list[str] | None = None) -> int:
    from pathlib import Path

    from restorebench.errors import InputError
    from train.loop import train
    from train.register import register_run

    args = build_parser().parse_args(argv)
    values = {k: v for k, v in vars(args).items() if k in FLAGS}
    cfg = TrainConfig(**{**values, "progress": not args.no_progress})
    if args.registry and not args.register:
        raise InputError("--registry goes with --register NAME")
    result = train(cfg, resume=args.resume)
    s = result.summary
    val = f"validation PSNR {s['val_psnr']:.2f} dB, SSIM {s['val_ssim']:.4f}; " if s.get("val_psnr") else ""
    print(f"{result.weights}: sha256 {result.sha256} ({s['parameters']:,} parameters); {val}"
          f"load with {s['load']}")
    if args.register:
        path = register_run(result.run, args.register, args.registry or Path(cfg.out) / "registry.yaml")
        print(f"registered {args.register!r} in {path}; set RESTOREBENCH_REGISTRY={path} to load it by name")
    return 0
