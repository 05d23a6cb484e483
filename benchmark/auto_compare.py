"""``auto`` against every method of a committed leaderboard, from a run of the same suite on the same data.

    python -m benchmark.auto_compare COMMITTED/leaderboard.csv NEW/leaderboard.csv [--method auto] [--metric psnr↑]

The new run holds ``auto`` (and ``identity``, whose scores must match the committed ones: same data). Printed
per suite: ``auto``'s score and rank within each task among every method that ran it, and the suite mean of
every method where a method's uncovered tasks count at the input's score (a single-task specialist leaves
the other degradations as they are), with ``auto``'s place in that order.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

BASELINE = "identity"


def task_scores(board: Path, metric: str) -> pd.DataFrame:
    """method x task table of ``metric`` from a leaderboard CSV (the ``mean`` column left out)."""
    table = pd.read_csv(board, comment="#").set_index("method")
    cols = [c for c in table.columns if c.endswith("/" + metric) and not c.startswith("mean/")]
    return table[cols].rename(columns=lambda c: c.rsplit("/", 1)[0]).dropna(how="all")


def compare(committed: pd.DataFrame, new: pd.DataFrame, method: str, higher: bool = True) -> dict:
    """Per-task rank of ``method`` and the identity-filled suite means (see the module docstring)."""
    if method not in new.index:
        raise SystemExit(f"{method} is not in the new leaderboard")
    drift = (new.loc[BASELINE] - committed.loc[BASELINE]).abs().max() if BASELINE in new.index else float("nan")
    table = pd.concat([committed.drop(index=method, errors="ignore"), new.loc[[method]]])
    ranks = table.rank(ascending=not higher, method="min")
    filled = table.fillna(table.loc[BASELINE]).mean(axis=1).sort_values(ascending=not higher)
    return {"drift": float(drift), "scores": table.loc[method], "ranks": ranks.loc[method],
            "methods": table.notna().sum(), "filled": filled,
            "place": int(list(filled.index).index(method)) + 1}


def render(name: str, result: dict, method: str) -> str:
    lines = [f"## {name}", "", f"identity drift vs the committed run: {result['drift']:.3g}", "",
             f"| task | {method} | rank | methods |", "|---|---|---|---|"]
    lines += [f"| {t} | {result['scores'][t]:.2f} | {int(result['ranks'][t])} | {int(result['methods'][t])} |"
              if pd.notna(result["scores"][t]) else f"| {t} | not run | - | {int(result['methods'][t])} |"
              for t in result["scores"].index]
    mean_rank = result["ranks"].mean()
    lines += ["", (f"mean task rank of {method}: {mean_rank:.2f}; suite mean with uncovered tasks at the input: "
                   f"{method} {result['filled'][method]:.2f}, place {result['place']} of {len(result['filled'])}"), "",
              "| method | suite mean |", "|---|---|"]
    lines += [f"| {m} | {v:.2f} |" for m, v in result["filled"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmark.auto_compare", description=__doc__.split("\n\n")[0])
    ap.add_argument("committed")
    ap.add_argument("new")
    ap.add_argument("--method", default="auto")
    ap.add_argument("--metric", default="psnr↑")
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    result = compare(task_scores(Path(args.committed), args.metric), task_scores(Path(args.new), args.metric),
                     args.method, higher=args.metric.endswith("↑"))
    print(render(Path(args.committed).parent.name, result, args.method))
    return 0


if __name__ == "__main__":
    sys.exit(main())
