"""restorebench degrade IN_DIR OUT_DIR: degrade every image of a folder, with a JSON sidecar each.

The degradation is one of:
* --recipe FILE holding a spec ({op: ...} or {policy: ..., items: [...]}): image i (in sorted path order)
  gets a recipe sampled with sample_rng(seed, i);
* --recipe FILE holding an applied recipe ({version, steps}) or a sidecar of an earlier run: replayed as
  is on every image;
* --op NAME [--severity S]: shorthand for the spec {op: NAME, severity: S}.
Outputs mirror the input tree as PNG; NAME.json beside each holds source, seed, index and recipe.
OUT_DIR may be neither IN_DIR nor inside it; inputs whose names differ only in suffix (x.jpg, x.png) are
reported and skipped instead of sharing one output.
A finished image (PNG and sidecar present) is skipped on a re-run, so a killed run resumes.
Bad inputs are reported one line each and skipped; the exit status is 1 if any was skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from degrade.jobfile import Degradation, load_degradation, parse_degradation
from degrade.recipe import replay
from restorebench.atomic import remove_stale_temporaries, write_text_atomic
from restorebench.cli import plain
from restorebench.errors import InputError
from restorebench.imageio import list_images, read_image, write_image
from restorebench.outputs import plan_outputs
from restorebench.seeding import check_seed


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="restorebench degrade", description=plain(__doc__),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("in_dir", type=Path, help="folder of clean images (searched recursively)")
    p.add_argument("out_dir", type=Path, help="output folder (PNG + JSON sidecar per image)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--recipe", type=Path, help="YAML/JSON spec, applied recipe or sidecar")
    src.add_argument("--op", help="operator name, e.g. noise.gaussian (see `restorebench ops`)")
    p.add_argument("--severity", type=int, help="severity 1..5 for --op (default: the operator's ranges)")
    p.add_argument("--seed", type=int, default=0, help="job seed; image i uses SeedSequence([seed, i])")
    p.add_argument("--convert", action="store_true", help="accept gray, opaque RGBA and 16-bit inputs by converting")
    p.add_argument("--bits", type=int, choices=(8, 16), default=8, help="PNG bit depth of the outputs")
    return p


def load_job(args: argparse.Namespace) -> Degradation:
    """The degradation of the job: a spec to sample per image, or one applied recipe to replay."""
    check_seed(args.seed, "--seed")
    if args.op:
        spec = {"op": args.op} if args.severity is None else {"op": args.op, "severity": args.severity}
        return parse_degradation(spec, "--op")
    if args.severity is not None:
        raise InputError("--severity goes with --op; put severities inside the --recipe spec instead")
    return load_degradation(args.recipe)


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    job = load_job(args)
    paths = list_images(args.in_dir)
    if not paths:
        raise InputError(f"{args.in_dir}: no images found (suffixes .png .jpg .bmp .tif .webp .ppm)")
    jobs, clashes = plan_outputs(args.in_dir, args.out_dir, paths)
    remove_stale_temporaries(args.out_dir)
    for reason in clashes.values():
        tqdm.write(f"skipped: {reason}", file=sys.stderr)
    index_of = {p: i for i, p in enumerate(paths)}
    failed = len(clashes)
    for path, out_png in tqdm(jobs, desc="degrade", unit="img"):
        index = index_of[path]
        out_json = out_png.with_suffix(".json")
        if out_png.is_file() and out_json.is_file():
            continue
        try:
            img = read_image(path, convert=args.convert)
            recipe = job.recipe_for(args.seed, index)
            write_image(out_png, replay(img, recipe), bits=args.bits)
        except InputError as exc:
            failed += 1
            message = str(exc) if str(path) in str(exc) else f"{path}: {exc}"
            tqdm.write(f"skipped: {message}", file=sys.stderr)
            continue
        sidecar = {"source": str(path), "index": index, "seed": args.seed, "recipe": recipe.to_dict()}
        write_text_atomic(out_json, json.dumps(sidecar, indent=1, sort_keys=True))
    done = len(paths) - failed
    print(f"degraded {done}/{len(paths)} images into {args.out_dir}" + (f"; {failed} skipped" if failed else ""))
    return 1 if failed else 0
