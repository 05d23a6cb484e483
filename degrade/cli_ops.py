"""``restorebench ops [PATTERN] [--json]``: the registered operators, their parameters and severity tables."""

from __future__ import annotations

import argparse
import json

from degrade.registry import get, list_ops
from restorebench.cli import plain


def describe(name: str) -> dict:
    """JSON-serializable description of an operator: parameters (kind, bounds, doc), ranges, severities."""
    op = get(name)
    params = {k: {"kind": p.kind.__name__, "low": p.low, "high": p.high, "choices": list(p.choices or []) or None,
                  "doc": p.doc} for k, p in op.full_schema().items()}
    return {"name": name, "stochastic": op.stochastic, "doc": (type(op).__doc__ or "").strip().split("\n")[0],
            "params": params, "ranges": op.ranges, "severities": op.severities}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="restorebench ops", description=plain(__doc__))
    p.add_argument("pattern", nargs="?", default="*", help="shell pattern, e.g. 'rain.*'")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    args = p.parse_args(argv)
    infos = [describe(n) for n in list_ops(args.pattern)]
    if args.json:
        print(json.dumps(infos, indent=1))
        return 0
    for info in infos:
        print(f"{info['name']}: {info['doc']}")
        for k, prm in info["params"].items():
            bounds = f"[{prm['low']}, {prm['high']}]" if prm["low"] is not None or prm["high"] is not None else ""
            print(f"    {k:<14} {prm['kind']:<5} {bounds:<16} {prm['doc']}")
        if info["severities"]:
            print("    severities: " + "; ".join(f"{s}: {v}" for s, v in sorted(info["severities"].items())))
    return 0
