"""``restorebench generate`` and ``restorebench verify``: paired corpora from clean images (see docs/corpus.md).

    restorebench generate SOURCE OUT --config configs/corpus/example.yaml [--workers N] [--shard i/N] [--resume]
    restorebench generate SOURCE s3://bucket/corpus --config C --engine dask --dask-address tcp://host:8786
    restorebench generate --merge OUT            # after all N shards of OUT finished
    restorebench verify OUT                      # exit status 1 if a file is missing or corrupt

SOURCE is an image folder (recursive), a text file listing image paths, or a local HF dataset folder
(``save_to_disk`` layout; ``--split``, ``--image-column``). OUT is a folder or an fsspec URL. Command-line
options override the config's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from degrade.corpus.config import CorpusConfig, load_config, parse_config
from degrade.corpus.run import RunSummary, generate, limit_threads, merge_shards, parse_shard
from degrade.corpus.writer import STAGES
from restorebench.cli import plain
from restorebench.engine import ENGINES, Engine
from restorebench.errors import DiskFull, InputError


def build_generate_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="restorebench generate", description=plain(__doc__),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", help="SOURCE OUT (or OUT alone with --merge); OUT may be an fsspec URL")
    p.add_argument("--config", type=Path, help="corpus config YAML (tasks, patches, output)")
    p.add_argument("--merge", action="store_true", help="join the finished shard manifests of OUT")
    p.add_argument("--seed", type=int, help="job seed (overrides the config's)")
    p.add_argument("--mode", choices=("random", "grid", "whole"), help="patch mode")
    p.add_argument("--patch-size", type=int, help="patch side in pixels")
    p.add_argument("--per-image", type=int, help="random patches per source image")
    p.add_argument("--stride", type=int, help="grid step in pixels (grid mode)")
    p.add_argument("--bits", type=int, choices=(8, 16), help="PNG bit depth")
    p.add_argument("--instructions", action="store_true", help="also write instruction/ (visual instructions)")
    p.add_argument("--engine", choices=ENGINES, help="where shard tasks run: this process, a local process pool, "
                   "or Dask (default: pool with --workers > 1, else serial)")
    p.add_argument("--workers", type=int, default=1, help="worker processes of the pool or of the local Dask "
                   "cluster (default 1)")
    p.add_argument("--dask-address", help="scheduler of a running Dask cluster, e.g. tcp://host:8786 (--engine "
                   "dask; without it a local cluster of --workers processes is started)")
    p.add_argument("--shard-size", type=int, help="samples per shard task (default 1000, fewer on small jobs)")
    p.add_argument("--shard", default="0/1", help="write only shard i of N (sources k with k %% N == i)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run (re-verifies files)")
    p.add_argument("--format", choices=("png", "hf"), default="png",
                   help="hf: also export OUT/hf as a Hugging Face dataset")
    p.add_argument("--split", help="split of a HF dataset source")
    p.add_argument("--image-column", help="image column of a HF dataset source")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def with_options(config: CorpusConfig, args: argparse.Namespace) -> CorpusConfig:
    """The config with the command line's options applied; a new --mode resets per_image/stride it does not use."""
    data = config.to_dict()
    mode = args.mode or config.patches.mode
    def given(value: int | None, default: int | None) -> int | None:
        return default if value is None else value

    data["patches"] = {"mode": mode, "size": given(args.patch_size, config.patches.size),
                       "per_image": given(args.per_image, config.patches.per_image if mode == "random" else 1),
                       "stride": given(args.stride, config.patches.stride if mode == "grid" else None)}
    if args.bits is not None:
        data["output"]["bits"] = args.bits
    if args.instructions:
        data["instructions"]["enabled"] = True
    if args.seed is not None:
        data["seed"] = args.seed
    return parse_config(data, f"{args.config} with command-line options")


def _print_summary(summary: RunSummary) -> None:
    busy = sum(summary.seconds.values()) or 1.0
    parts = ", ".join(f"{s} {100 * summary.seconds[s] / busy:.0f}%" for s in STAGES)
    rate = summary.written / summary.wall if summary.wall else 0.0
    print(f"{summary.samples} samples in {summary.manifest} ({summary.written} written, {summary.reused} reused, "
          f"{summary.skipped} sources skipped); {rate:.1f} img/s; time: {parts}")


def generate_main(argv: list[str]) -> int:
    """``restorebench generate``."""
    args = build_generate_parser().parse_args(argv)
    if args.merge:
        if len(args.paths) != 1:
            raise InputError("--merge takes one folder: restorebench generate --merge OUT")
        print(f"merged into {merge_shards(args.paths[0])}")
        return 0
    if len(args.paths) != 2:
        raise InputError("expected SOURCE OUT (a folder, file list or HF dataset, then the output folder)")
    if args.config is None:
        raise InputError("--config is required: a corpus YAML with a task mix (see configs/corpus/example.yaml)")
    from degrade.corpus.sources import open_source

    shard = parse_shard(args.shard)
    if args.format == "hf" and shard[1] > 1:
        raise InputError("--format hf exports a whole corpus: merge the shards, then call degrade.corpus.export_hf")
    config = with_options(load_config(args.config), args)
    if args.format == "hf" and "://" in args.paths[1]:
        raise InputError(f"--format hf writes a local folder; {args.paths[1]} is a URL: export a local copy")
    source = open_source(Path(args.paths[0]), args.split, args.image_column)
    engine = Engine(args.engine or ("pool" if args.workers > 1 else "serial"), args.workers, args.dask_address)
    if engine.kind == "serial":
        limit_threads()
    try:
        summary = generate(source, args.paths[1], config, shard=shard, resume=args.resume,
                           progress=not args.no_progress, engine=engine, shard_size=args.shard_size)
    except DiskFull as exc:
        raise DiskFull(f"{exc} with --resume (finished sources are kept)") from exc
    _print_summary(summary)
    if summary.skipped:
        print(f"{summary.skipped} source(s) skipped: see {summary.skipped_csv}", file=sys.stderr)
    if args.format == "hf":
        from degrade.corpus.hf import export_hf

        print(f"HF dataset written to {export_hf(Path(args.paths[1]))}")
    return 0


def verify_main(argv: list[str]) -> int:
    """``restorebench verify``: exit 0 if every manifest file is intact, 1 otherwise."""
    p = argparse.ArgumentParser(prog="restorebench verify",
                                description="re-hash every file of a corpus against its manifest.parquet")
    p.add_argument("root", help="corpus folder or fsspec URL")
    p.add_argument("--threads", type=int, default=4, help="hashing threads")
    args = p.parse_args(argv)
    from degrade.corpus.verify import verify_corpus

    report = verify_corpus(args.root, args.threads)
    for rel in report.missing:
        print(f"missing: {rel}")
    for rel, why in report.corrupt:
        print(f"corrupt: {rel}: {why}")
    for rel in report.unexpected:
        print(f"unexpected (not in manifest): {rel}")
    print(f"{report.checked} files checked: {len(report.missing)} missing, {len(report.corrupt)} corrupt, "
          f"{len(report.unexpected)} unexpected")
    return 0 if report.ok else 1


COMMANDS = {"generate": generate_main, "verify": verify_main}


def main(argv: list[str]) -> int:
    """``python -m degrade.corpus.cli generate|verify ...`` (the restorebench dispatcher calls the two directly)."""
    if not argv or argv[0] not in COMMANDS:
        raise InputError(f"expected a command, one of {sorted(COMMANDS)}")
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
