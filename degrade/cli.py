"""``restorebench degrade IN_DIR OUT_DIR``: degrade every image of a folder, with a JSON sidecar each.

The degradation is one of:
* ``--recipe FILE`` holding a spec (``{op: ...}`` or ``{policy: ..., items: [...]}``): image i (in sorted
  path order) gets a recipe sampled with ``sample_rng(seed, i)``;
* ``--recipe FILE`` holding an applied recipe (``{version, steps}``): replayed as is on every image;
* ``--op NAME [--severity S]``: shorthand for the spec ``{op: NAME, severity: S}``.
Outputs mirror the input tree as PNG; ``NAME.json`` beside each holds source, seed, index and recipe.
A finished image (PNG and sidecar present) is skipped on a re-run, so a killed run resumes.
Bad inputs are reported one line each and skipped; the exit status is 1 if any was skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml
from tqdm import tqdm

from degrade.recipe import Recipe, replay
from degrade.spec import sample_recipe, validate_spec
from restorebench.atomic import write_text_atomic
from restorebench.errors import InputError
from restorebench.imageio import list_images, read_image, write_image
from restorebench.seeding import sample_rng


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="restorebench degrade", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("in_dir", type=Path, help="folder of clean images (searched recursively)")
    p.add_argument("out_dir", type=Path, help="output folder (PNG + JSON sidecar per image)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--recipe", type=Path, help="YAML/JSON spec or applied recipe")
    src.add_argument("--op", help="operator name, e.g. noise.gaussian (see `restorebench ops`)")
    p.add_argument("--severity", type=int, help="severity 1..5 for --op (default: the operator's ranges)")
    p.add_argument("--seed", type=int, default=0, help="job seed; image i uses SeedSequence([seed, i])")
    p.add_argument("--convert", action="store_true", help="accept gray, opaque RGBA and 16-bit inputs by converting")
    p.add_argument("--bits", type=int, choices=(8, 16), default=8, help="PNG bit depth of the outputs")
    return p


def load_job(args: argparse.Namespace) -> tuple[dict | None, Recipe | None]:
    """(spec, None) to sample per image, or (None, recipe) to replay one applied recipe."""
    if args.op:
        spec = {"op": args.op} if args.severity is None else {"op": args.op, "severity": args.severity}
        validate_spec(spec, "--op")
        return spec, None
    if args.severity is not None:
        raise InputError("--severity goes with --op; put severities inside the --recipe spec instead")
    if not args.recipe.is_file():
        raise InputError(f"{args.recipe}: no such recipe file")
    data = yaml.safe_load(args.recipe.read_text())
    if isinstance(data, dict) and "steps" in data:
        return None, Recipe.from_dict(data, str(args.recipe))
    validate_spec(data, str(args.recipe))
    return data, None


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    spec, fixed = load_job(args)
    paths = list_images(args.in_dir)
    if not paths:
        raise InputError(f"{args.in_dir}: no images found (suffixes .png .jpg .bmp .tif .webp .ppm)")
    failed = 0
    for index, path in enumerate(tqdm(paths, desc="degrade", unit="img")):
        rel = path.relative_to(args.in_dir).with_suffix("")
        out_png, out_json = args.out_dir / f"{rel}.png", args.out_dir / f"{rel}.json"
        if out_png.is_file() and out_json.is_file():
            continue
        try:
            img = read_image(path, convert=args.convert)
            recipe = fixed if fixed is not None else sample_recipe(spec, sample_rng(args.seed, index))
            write_image(out_png, replay(img, recipe), bits=args.bits)
        except InputError as exc:
            failed += 1
            tqdm.write(f"skipped: {exc}", file=sys.stderr)
            continue
        sidecar = {"source": str(path), "index": index, "seed": args.seed, "recipe": recipe.to_dict()}
        write_text_atomic(out_json, json.dumps(sidecar, indent=1, sort_keys=True))
    done = len(paths) - failed
    print(f"degraded {done}/{len(paths)} images into {args.out_dir}" + (f"; {failed} skipped" if failed else ""))
    return 1 if failed else 0
