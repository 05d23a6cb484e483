"""``restorebench models`` (list methods and whether they can run here) and ``restorebench restore`` (a folder).

``restore`` writes ``OUT_DIR/<relative path>.png`` (8-bit by default) through a temporary name and a rename,
so an output that exists is complete: a re-run skips it (resume) and removes temporaries a killed run left.
OUT_DIR may be neither IN_DIR nor inside it; inputs whose names differ only in suffix are reported, not written. A failing image is reported and the run
goes on; the exit status is 1 when any image failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml

from restorebench.errors import DiskFull, InputError, RestoreBenchError


def _short(reason: str, width: int = 70) -> str:
    return reason if len(reason) <= width else reason[:width - 3] + "..."


def models_main(argv: list[str]) -> int:
    """List registry entries with family, tasks and availability (weights present or not, and why)."""
    import models

    ap = argparse.ArgumentParser(prog="restorebench models", description="list restoration methods")
    ap.add_argument("patterns", nargs="*", default=["*"], help="shell patterns of names (default: all)")
    ap.add_argument("--family", choices=["classical", "learned", "all-in-one"])
    ap.add_argument("--task", help="only methods for this task (noise, blur, haze, rain, snow, jpeg, lowlight, sr)")
    ap.add_argument("--available", action="store_true", help="only methods runnable here")
    ap.add_argument("--long", action="store_true", help="full reasons, papers and licenses")
    ap.add_argument("--json", action="store_true", help="one JSON object per method (info + availability)")
    ap.add_argument("--allow-academic", action="store_true", help="count non-commercial entries as opted in")
    args = ap.parse_args(argv)
    allow = True if args.allow_academic else None
    names = models.list_models(args.patterns, family=args.family, task=args.task)
    rows = []
    for name in names:
        ok, why = models.availability(name, allow_academic=allow)
        if args.available and not ok:
            continue
        rows.append((models.info(name), ok, why))
    if args.json:
        for meta, ok, why in rows:
            print(json.dumps({**meta.to_dict(), "available": ok, "reason": why}))
        return 0
    width = max([len(m.name) for m, _, _ in rows] + [4])
    print(f"{'name':<{width}}  {'family':<10}  {'tasks':<16}  {'avail':<5}  reason")
    for meta, ok, why in rows:
        tasks = ",".join(meta.tasks)
        print(f"{meta.name:<{width}}  {meta.family:<10}  {tasks:<16}  {'yes' if ok else 'no':<5}  "
              f"{why if args.long else _short(why)}")
        if args.long:
            code_license = meta.code.get("license", "?")
            weight_licenses = ", ".join(sorted({w.license or "?" for w in meta.weights})) or "-"
            gray = f"; gray-only, run {meta.gray_mode}" if meta.channels == 1 else ""
            print(f"{'':<{width}}  paper: {meta.paper}\n{'':<{width}}  code license: {code_license}; "
                  f"weight license: {weight_licenses}; size multiple {meta.size_multiple}; fp16 {meta.fp16}{gray}")
            if meta.training:
                t = meta.training
                print(f"{'':<{width}}  trained here: {t.get('budget', '')}; seed {t.get('seed')}; corpus "
                      f"{t.get('corpus')}\n{'':<{width}}  command: {t.get('command')}")
    n_ok = sum(ok for _, ok, _ in rows)
    print(f"{len(rows)} methods, {n_ok} runnable here")
    return 0


def parse_options(items: list[str]) -> dict:
    """``["sigma=25", "kernel={gaussian: 2}"]`` -> ``{"sigma": 25, "kernel": {"gaussian": 2}}`` (YAML values)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--set {item!r}: expected KEY=VALUE (VALUE in YAML, e.g. sigma=25)")
        try:
            out[key] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise InputError(f"--set {item!r}: value is not valid YAML ({' '.join(str(exc).split())})") from exc
    return out


def restore_main(argv: list[str]) -> int:
    """Restore every image of IN_DIR into OUT_DIR with one method; resumable, reports failures and goes on."""
    import numpy as np
    import torch
    from tqdm import tqdm

    import models
    from restorebench.atomic import remove_stale_temporaries
    from restorebench.imageio import list_images, read_image, write_image
    from restorebench.outputs import plan_outputs

    ap = argparse.ArgumentParser(prog="restorebench restore", description="restore a folder of images")
    ap.add_argument("in_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--model", required=True, help="registry name (restorebench models lists them)")
    ap.add_argument("--tile", type=int, help="tile side in pixels for large images (e.g. 512)")
    ap.add_argument("--overlap", type=int, help="tile overlap in pixels (default from the receptive field)")
    ap.add_argument("--device", default="cpu", help="torch device, e.g. cuda or cuda:1")
    ap.add_argument("--weights", help="checkpoint path, or 'random' (default: the registry's verified files)")
    ap.add_argument("--set", dest="options", action="append", default=[], metavar="KEY=VALUE",
                    help="method option, repeatable (sigma=25, quality=10, noise_level=15, half=true)")
    ap.add_argument("--allow-academic", action="store_true", help="opt in to non-commercial methods")
    ap.add_argument("--convert", action="store_true", help="accept gray/16-bit/RGBA-opaque inputs (converted)")
    ap.add_argument("--bits", type=int, default=8, choices=[8, 16], help="PNG bit depth of the outputs")
    ap.add_argument("--overwrite", action="store_true", help="restore again even where outputs exist")
    args = ap.parse_args(argv)

    in_dir, out_dir = Path(args.in_dir), Path(args.out_dir)
    files = list_images(in_dir)
    if not files:
        raise InputError(f"{in_dir}: no images found (.png, .jpg, .bmp, .tif, .webp, ...)")
    jobs, clashes = plan_outputs(in_dir, out_dir, files)
    restorer = models.load(args.model, device=args.device, weights=args.weights, tile=args.tile,
                           overlap=args.overlap, allow_academic=True if args.allow_academic else None,
                           **parse_options(args.options))
    remove_stale_temporaries(out_dir)
    todo = [(f, o) for f, o in jobs if args.overwrite or not o.is_file()]
    skipped, failed, pixels = len(jobs) - len(todo), [], 0
    for reason in clashes.values():
        print(f"restorebench restore: {reason}", file=sys.stderr)
    start = time.perf_counter()
    for src, dst in tqdm(todo, desc=f"restore {args.model}", unit="img", file=sys.stderr):
        try:
            img = read_image(src, convert=args.convert)
            y = restorer(torch.from_numpy(img).permute(2, 0, 1)[None])
            write_image(dst, np.ascontiguousarray(y[0].permute(1, 2, 0).cpu().numpy()), bits=args.bits)
            pixels += img.shape[0] * img.shape[1]
        except DiskFull:
            raise
        except (RestoreBenchError, RuntimeError, OSError, ValueError) as exc:
            failed.append(src)
            tqdm.write(f"restorebench restore: {src}: failed: {' '.join(str(exc).split())[:300]}", file=sys.stderr)
    took = time.perf_counter() - start
    rate = pixels / 1e6 / took if took > 0 and pixels else 0.0
    print(f"{len(todo) - len(failed)} restored, {skipped} already done, {len(failed) + len(clashes)} failed "
          f"-> {out_dir} ({rate:.3g} MP/s)")
    return 1 if failed or clashes else 0
