"""``restorebench weights``: every weight file that each metric and each model needs, and whether it is here.

Files are looked up as :mod:`restorebench.weights` resolves them ($RESTOREBENCH_WEIGHTS roots, then
$TORCH_HOME, then ~/.cache/restorebench), with their sha256 checked. A missing file's line says where to put
it and where to get it. Exit status 0 (listing is not an error), or 1 with ``--check`` when a listed file is
missing.
"""

from __future__ import annotations

import argparse
import json

from restorebench import weights as rw
from restorebench.cli import plain


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="restorebench weights", description=plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--metrics", action="store_true", help="list metrics only")
    p.add_argument("--models", action="store_true", help="list models only")
    p.add_argument("--missing", action="store_true", help="show only files that are missing")
    p.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    p.add_argument("--check", action="store_true", help="exit with status 1 if any listed file is missing")
    return p


def metric_records() -> list[dict]:
    """One record per (metric, file): owner, kind, file, sha256, present, where/why."""
    from benchmark.metrics import list_metrics, metric_info
    from benchmark.metrics.fid import INCEPTION, inception_available

    out = []
    for name in list_metrics():
        info = metric_info(name)
        files = [(wf, *rw.status(wf)) for wf in info["weights"]]
        if name in ("fid", "kid"):
            files.append((INCEPTION, *inception_available()))
        out += [
            {"owner": f"metric:{name}", **wf.to_dict(), "present": ok, "detail": detail}
            for wf, ok, detail in files
        ]
    return out


def model_records() -> list[dict]:
    """One record per (model, file) from the model registry (models.list_models / models.info)."""
    import models

    out = []
    for name in models.list_models():
        for wf in models.info(name).weights:
            ok, detail = rw.status(wf)
            out.append({"owner": f"model:{name}", **wf.to_dict(), "present": ok, "detail": detail})
    return out


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    both = not (args.metrics or args.models)
    records = (metric_records() if args.metrics or both else []) + (
        model_records() if args.models or both else []
    )
    shown = [r for r in records if not (args.missing and r["present"])]
    if args.json:
        print(json.dumps(shown, indent=1))
    else:
        roots = ", ".join(str(p) for p in rw.search_roots())
        print(f"search order: {roots}")
        for r in shown:
            mark = "ok     " if r["present"] else "MISSING"
            print(f"{mark}  {r['owner']:<28} {r['subdir']}/{r['name']}")
            if not r["present"]:
                print(f"         {r['detail']}")
        n_missing = sum(not r["present"] for r in records)
        print(f"{len(records)} files, {len(records) - n_missing} present, {n_missing} missing")
    return 1 if args.check and any(not r["present"] for r in records) else 0
