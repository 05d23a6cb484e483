"""``restorebench realism CONFIG --out DIR [suite overrides]``: which synthesizer's pairs restore real images best."""

from __future__ import annotations

import argparse


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="restorebench realism",
        description="Train the same small restorer, with the same budget, on pairs made by restorebench and by peer "
                    "libraries (albumentations, imagecorruptions, kornia), then score every model on real test "
                    "pairs. Resumable: finished trainings are reused, killed ones resume.")
    p.add_argument("config", help="realism config YAML, e.g. configs/realism/noise.yaml")
    p.add_argument("--out", required=True, help="run folder: runs/<synthesizer>-<digest>/, specs/, registry.yaml, work/")
    p.add_argument("--report", default=None, help="report folder: realism.md/.csv and the suite report (default: OUT/report)")
    p.add_argument("--work", default=None, help="cache of restored images and scores (default: OUT/work)")
    p.add_argument("--cache", default=None, help="suite data cache (default: $RESTOREBENCH_CACHE/suites)")
    p.add_argument("--device", default="cpu", help="torch device for scoring (training runs on the CPU)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("overrides", nargs="*", help="suite overrides, e.g. tasks.mine={paired:{input:A,target:B},kinds:[noise]}")
    return p


def main(argv: list[str] | None = None) -> int:
    from pathlib import Path

    from train.realism import run_realism

    args = build_parser().parse_intermixed_args(argv)
    work = args.work or str(Path(args.out) / "work")
    path = run_realism(args.config, args.out, tuple(args.overrides), work, args.cache, args.device, args.quiet,
                       args.report)
    print(path.read_text(encoding="utf-8").rstrip())
    print(f"\nrealism table: {path.resolve()}")
    return 0
