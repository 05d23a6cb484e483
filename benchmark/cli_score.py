"""``restorebench score --pred DIR [--gt DIR] --metrics psnr,ssim,lpips,fid --protocol basicsr``

Scores every prediction against its ground truth (paired by file name, or by id prefix as in SOTS:
``0001_0.8_0.2.jpg`` <-> ``0001.png``), or without ``--gt`` with the no-reference metrics only. Several
protocols (comma-separated) are scored side by side. Per-image rows (image_id, metric, value, protocol,
note) go to a parquet file (``--out``, default ``scores.parquet``) with the protocols' conventions in its
metadata; a table of means is printed. Missing partners, size mismatches and unreadable files are listed
(never dropped silently) and make the exit status 1; files converted to RGB for scoring (gray, CMYK, 16-bit)
get a note line each.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from restorebench.cli import plain
from restorebench.errors import InputError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="restorebench score", description=plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--pred", type=Path, required=True, help="folder of restored images (searched recursively)"
    )
    p.add_argument("--gt", type=Path, help="folder of ground-truth images; omit for no-reference scoring")
    p.add_argument(
        "--metrics",
        help="comma-separated (see `restorebench weights`); default psnr,ssim, or niqe without --gt",
    )
    p.add_argument(
        "--protocol", default="basicsr", help="comma-separated protocols: basicsr, promptir, pyiqa, rgb"
    )
    p.add_argument("--crop-border", type=int, help="override the protocols' border crop (pixels per side)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    p.add_argument("--batch-size", type=int, default=16, help="same-size images per batch (default 16)")
    p.add_argument(
        "--fid-resize",
        choices=("clean", "torch"),
        default="clean",
        help="resize to 299 for FID/KID: clean-fid's PIL bicubic (default) or torch antialiased bicubic",
    )
    p.add_argument("--out", type=Path, default=Path("scores.parquet"), help="parquet file for per-image rows")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    from benchmark.harness import list_folder, pair_folders, save_scores, score_pairs, summarize
    from benchmark.protocols import get_protocol

    args = build_parser().parse_args(argv)
    names = args.metrics if args.metrics is not None else ("psnr,ssim" if args.gt is not None else "niqe")
    metrics = [m.strip() for m in names.split(",") if m.strip()]
    if not metrics:
        raise InputError(f"--metrics {args.metrics!r}: name at least one metric (see `restorebench weights`)")
    protocols = [get_protocol(n.strip()) for n in args.protocol.split(",") if n.strip()]
    if args.crop_border is not None:
        protocols = [
            p.with_(name=f"{p.name}+crop{args.crop_border}", crop_border=args.crop_border) for p in protocols
        ]
    if args.gt is not None:
        pairs, problems = pair_folders(args.pred, args.gt)
    else:
        pairs, problems = list_folder(args.pred), []
    options = {m: {"resize": args.fid_resize} for m in ("fid", "kid")}
    frames = [
        score_pairs(pairs, metrics, p, args.device, args.batch_size, progress=not args.quiet, options=options)
        for p in protocols
    ]
    df = pd.concat(frames, ignore_index=True)
    save_scores(df, args.out, protocols)
    with pd.option_context("display.float_format", "{:.4f}".format, "display.width", 120):
        print(summarize(df).to_string())
    failed = df[df["value"].isna()]
    for line in problems + [f"{r.image_id} {r.metric} [{r.protocol}]: {r.note}" for r in failed.itertuples()]:
        print(f"problem: {line}", file=sys.stderr)
    for note in dict.fromkeys(df[df["value"].notna() & df["note"].notna()]["note"]):
        print(f"note: {note}", file=sys.stderr)
    print(f"{len(pairs)} images, {len(df)} rows -> {args.out}")
    return 1 if problems or len(failed) else 0
