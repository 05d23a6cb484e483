"""``restorebench detect`` (a table of detections per image) and ``restorebench auto`` (detect -> restore loop)."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from restorebench.errors import InputError, RestoreBenchError

FAILURES = (RestoreBenchError, RuntimeError, OSError, ValueError)
"""What one bad image may raise; it is reported and the run goes on."""


def _images(in_dir: Path) -> list[Path]:
    from restorebench.imageio import list_images

    if not in_dir.is_dir():
        raise InputError(f"{in_dir}: no such folder")
    files = list_images(in_dir)
    if not files:
        raise InputError(f"{in_dir}: no images found (.png, .jpg, .bmp, .tif, .webp, ...)")
    return files


def _fail(command: str, path: Path, exc: BaseException) -> str:
    msg = " ".join(str(exc).split())[:300]
    print(f"restorebench {command}: {path}: failed: {msg}", file=sys.stderr)
    return msg


def write_table(rows: list[dict[str, Any]], out: Path) -> None:
    """Write ``rows`` as CSV, or as parquet when ``out`` ends in ``.parquet`` (atomically)."""
    import pandas as pd

    from restorebench.atomic import atomic_path

    if out.suffix not in (".csv", ".parquet"):
        raise InputError(f"--out {out}: use a .csv or .parquet file name")
    frame = pd.DataFrame(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        frame.to_parquet(tmp, index=False) if out.suffix == ".parquet" else frame.to_csv(tmp, index=False)


def summary(rows: list[dict[str, Any]]) -> str:
    """Readable summary of a detection table: images per dominant label with their mean severity."""
    ok = [r for r in rows if not r.get("error")]
    lines = [f"{len(rows)} images, {len(ok)} judged, {len(rows) - len(ok)} failed"]
    counts = Counter(r["dominant"] for r in ok)
    for label, n in counts.most_common():
        sev = [r["severity"] for r in ok if r["dominant"] == label]
        lines.append(f"  {label:<9} {n:>5}  ({100 * n / len(ok):5.1f}%)  mean severity {sum(sev) / len(sev):.2f}")
    return "\n".join(lines)


def detect_main(argv: list[str]) -> int:
    """Judge every image of IN_DIR: label probabilities, dominant label and severity per image."""
    from models.detect.detector import DEFAULT_DETECTOR, load_detector
    from restorebench.imageio import read_image

    ap = argparse.ArgumentParser(prog="restorebench detect", description=(
        "Detect the degradations of every image of IN_DIR (noise, blur, haze, rain, snow, raindrop, jpeg, "
        "lowlight, sr, or clean): writes one row per image (p_<label> probabilities, dominant label, severity "
        "1-5, noise sigma, JPEG quality) and prints a summary."))
    ap.add_argument("in_dir")
    ap.add_argument("--out", default="detections.csv", help="table file, .csv or .parquet (default detections.csv)")
    ap.add_argument("--detector", default=DEFAULT_DETECTOR, help=f"detector registry entry (default {DEFAULT_DETECTOR})")
    ap.add_argument("--weights", help="detector checkpoint path (default: the registry's verified file)")
    ap.add_argument("--device", default="cpu", help="torch device, e.g. cuda")
    ap.add_argument("--convert", action="store_true", help="accept gray/16-bit/RGBA-opaque inputs (converted)")
    args = ap.parse_args(argv)

    in_dir = Path(args.in_dir)
    files = _images(in_dir)
    detector = load_detector(args.detector, args.weights, args.device)
    rows = []
    for path in files:
        row: dict[str, Any] = {"file": str(path.relative_to(in_dir))}
        try:
            row.update(detector.detect_image(read_image(path, convert=args.convert)).to_row())
            row["error"] = ""
        except FAILURES as exc:
            row["error"] = _fail("detect", path, exc)
        rows.append(row)
    write_table(rows, Path(args.out))
    print(summary(rows))
    print(f"-> {args.out}")
    return 1 if any(r["error"] for r in rows) else 0


def auto_main(argv: list[str]) -> int:
    """Restore every image of IN_DIR into OUT_DIR with the detect -> restore loop; writes OUT_DIR/auto-log.jsonl."""
    import numpy as np
    import torch

    import models
    from models.detect.auto import MAX_STEPS, MIN_PROBABILITY
    from restorebench.atomic import write_text_atomic
    from restorebench.imageio import read_image, write_image
    from restorebench.outputs import plan_outputs

    ap = argparse.ArgumentParser(prog="restorebench auto", description=(
        "Automatic restoration: detect the dominant degradation, restore it with the method the table names, "
        "detect again, until the image is judged clean or after --steps restorations. Writes the restored "
        "images and OUT_DIR/auto-log.jsonl (per image: every step's probabilities, dominant label and method)."))
    ap.add_argument("in_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--methods", help="method table YAML (label: method or [methods, best first]; default "
                    "models/detect/methods.yaml)")
    ap.add_argument("--steps", type=int, default=MAX_STEPS, help=f"most restorations per image (default {MAX_STEPS})")
    ap.add_argument("--min-probability", type=float, default=MIN_PROBABILITY,
                    help="stop when the dominant degradation's probability is below this "
                         f"(0-1; default {MIN_PROBABILITY:g})")
    ap.add_argument("--detector", help="detector registry entry (default detector-cnn)")
    ap.add_argument("--device", default="cpu", help="torch device, e.g. cuda")
    ap.add_argument("--convert", action="store_true", help="accept gray/16-bit/RGBA-opaque inputs (converted)")
    ap.add_argument("--bits", type=int, default=8, choices=[8, 16], help="PNG bit depth of the outputs")
    args = ap.parse_args(argv)

    in_dir, out_dir = Path(args.in_dir), Path(args.out_dir)
    jobs, clashes = plan_outputs(in_dir, out_dir, _images(in_dir))
    options: dict[str, Any] = {"max_steps": args.steps, "table": args.methods,
                               "min_probability": args.min_probability}
    if args.detector:
        options["detector"] = args.detector
    auto = models.load("auto", device=args.device, **options)
    records, used = [], Counter()
    for path, reason in clashes.items():
        records.append({"file": str(path.relative_to(in_dir)), "error": _fail("auto", path, InputError(reason))})
    for src, dst in jobs:
        record: dict[str, Any] = {"file": str(src.relative_to(in_dir))}
        try:
            img = read_image(src, convert=args.convert)
            y = auto(torch.from_numpy(img).permute(2, 0, 1)[None])
            write_image(dst, np.ascontiguousarray(y[0].permute(1, 2, 0).cpu().numpy()), bits=args.bits)
            record["steps"] = [s.to_dict() for s in auto.last_logs[0]]
            used.update(s["method"] for s in record["steps"] if s["method"])
        except FAILURES as exc:
            record["error"] = _fail("auto", src, exc)
        records.append(record)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / "auto-log.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    failed = sum("error" in r for r in records)
    methods = ", ".join(f"{m} x{n}" for m, n in used.most_common()) or "none"
    print(f"{len(records) - failed} restored, {failed} failed -> {out_dir}; methods applied: {methods}; "
          f"log {out_dir / 'auto-log.jsonl'}")
    return 1 if failed else 0
