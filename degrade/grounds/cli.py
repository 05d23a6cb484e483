"""``restorebench grounds`` and ``restorebench instructions``: write visual grounds, instructions and sheets.

Item ``i`` of a job with ``--seed s`` uses the integer seed ``draw_seed(sample_rng(s, i))`` (recorded
in the JSON written beside the images), so any item can be rebuilt alone with ``make_ground`` /
``make_instruction``. Both commands skip items whose files already exist, so a killed run resumes.

Instruction files, per item ``NNNNN``: ``NNNNN_clean.png`` and ``NNNNN_degraded.png`` (8-bit sRGB),
``NNNNN_residual.png`` (16-bit, storing ``(residual + 1) / 2``), ``NNNNN.json`` (applied recipe,
ground, seed; written last).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tqdm import tqdm

from degrade.jobfile import load_degradation
from restorebench.atomic import write_text_atomic
from restorebench.errors import InputError
from restorebench.imageio import write_image
from restorebench.seeding import check_seed, draw_seed, sample_rng

RESIDUAL_ENCODING = "16-bit PNG of (residual + 1) / 2"


def item_seed(seed: int, index: int) -> int:
    """The integer seed of item ``index`` of a job seeded with ``seed``."""
    return draw_seed(sample_rng(seed, index))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out_dir", type=Path, help="output folder (created; existing items are kept)")
    parser.add_argument("-n", type=int, default=1, help="number of items (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="job seed (default 0)")
    parser.add_argument("--ground", default="te42", help="te42 (default), blank, simple or an element name")
    parser.add_argument("--size", type=int, default=256, help="ground side in pixels (default 256)")
    parser.add_argument("--textures", type=Path, help="folder of texture images added as the natural.user element")


def _setup(args: argparse.Namespace) -> None:
    from degrade.grounds import list_grounds, register_texture_folder

    if args.n < 0:
        raise InputError(f"-n {args.n}: expected a non-negative count")
    check_seed(args.seed, "--seed")
    if args.textures is not None:
        register_texture_folder(args.textures, "user")
    if args.ground not in list_grounds():
        raise InputError(f"--ground {args.ground!r}: use one of {', '.join(list_grounds())}")


def grounds_main(argv: list[str]) -> int:
    """``restorebench grounds OUT_DIR -n 100 --seed 0``: write ground PNGs and grounds.json."""
    from degrade.grounds import make_ground, te42_choices

    parser = argparse.ArgumentParser(prog="restorebench grounds", description="Write visual grounds as PNG files.")
    _common(parser)
    args = parser.parse_args(argv)
    _setup(args)
    items = []
    for i in tqdm(range(args.n), desc="grounds", unit="ground", disable=args.n < 2):
        seed = item_seed(args.seed, i)
        path = args.out_dir / f"ground_{i:05d}.png"
        if not path.exists():
            write_image(path, make_ground(args.ground, args.size, seed))
        item = {"file": path.name, "seed": seed}
        if args.ground == "te42":
            choices = te42_choices(seed).items()
            item["elements"] = {group: {"element": name, "variant": v} for group, (name, v) in choices}
        items.append(item)
    manifest = {"ground": args.ground, "size": args.size, "job_seed": args.seed, "items": items}
    write_text_atomic(args.out_dir / "grounds.json", json.dumps(manifest, indent=1))
    print(f"wrote {args.n} grounds to {args.out_dir}")
    return 0


def instructions_main(argv: list[str]) -> int:
    """``restorebench instructions --recipe R.yaml OUT_DIR [--sheet]``: write instructions and a contact sheet."""
    import degrade
    from degrade.grounds.sheet import contact_sheet, operator_rows, recipe_rows
    from degrade.instructions import make_instruction

    parser = argparse.ArgumentParser(
        prog="restorebench instructions",
        description="Write visual instructions of a recipe (clean ground, degraded ground, residual) and/or "
                    "a contact sheet: one row per recipe step, or per registered operator without --recipe.")
    _common(parser)
    parser.add_argument("--recipe", type=Path, help="spec, applied recipe or sidecar (.yaml/.json), as for degrade; "
                        "a spec is sampled per item with the job seed")
    parser.add_argument("--sheet", action="store_true", help="also write OUT_DIR/sheet.png")
    parser.add_argument("--severity", type=int, default=3, help="operator severity of the sheet without --recipe")
    parser.add_argument("--ops", default="*", help="operator pattern of the sheet without --recipe (default *)")
    args = parser.parse_args(argv)
    _setup(args)
    if args.recipe is None and not args.sheet:
        raise InputError("nothing to do: pass --recipe R.yaml (instructions) and/or --sheet (contact sheet)")
    job = load_degradation(args.recipe) if args.recipe is not None else None
    if job is not None:
        for i in tqdm(range(args.n), desc="instructions", unit="instr", disable=args.n < 2):
            sidecar = args.out_dir / f"{i:05d}.json"
            if sidecar.exists():
                continue
            ins = make_instruction(job.recipe_for(args.seed, i), item_seed(args.seed, i), args.ground, args.size)
            write_image(args.out_dir / f"{i:05d}_clean.png", ins.clean)
            write_image(args.out_dir / f"{i:05d}_degraded.png", ins.degraded)
            write_image(args.out_dir / f"{i:05d}_residual.png", (ins.residual + 1.0) / 2.0, bits=16)
            meta = {"recipe": ins.recipe.to_dict(), "ground": ins.ground, "size": args.size, "seed": ins.seed,
                    "residual_encoding": RESIDUAL_ENCODING}
            write_text_atomic(sidecar, json.dumps(meta, indent=1))
        print(f"wrote {args.n} instructions to {args.out_dir}")
    if args.sheet:
        seed = item_seed(args.seed, 0)
        if job is not None:
            rows = recipe_rows(job.recipe_for(args.seed, 0), seed, args.ground, args.size)
        else:
            ops = degrade.list_ops(args.ops)
            rows = operator_rows(ops, args.severity, seed, args.ground, args.size)
            if not rows:
                raise InputError(f"--ops {args.ops!r} --severity {args.severity}: no operator has that severity")
        path = args.out_dir / "sheet.png"
        write_image(path, contact_sheet(rows).astype("float32") / 255.0)
        print(f"wrote {path} ({len(rows)} rows)")
    return 0
