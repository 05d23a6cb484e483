"""The method table of ``auto``: which registry method restores each detector label.

A table is a YAML mapping ``label: method`` or ``label: [method, ...]`` (candidates best first: the loop takes
the first one that loads here; ``null`` or ``[]``: no method, the label is then passed over) over the
degradation labels of ``degrade.labels``; ``models/detect/methods.yaml`` is the shipped default and a user's
file replaces it (``restorebench auto --methods FILE``, or the ``auto`` entry's ``table`` option).

The default is made from the committed benchmark reports (``python -m models.detect.table REPORTS OUT``): for
each label, the single-degradation tasks of every report (a task whose operators, or paired ``kinds``, all carry
that label) are the evidence; each runnable method's PSNR gain over ``identity`` on those tasks is averaged,
and the methods with a positive gain are the label's candidates, best first, down to the first one that ships
with restorebench (:func:`ships`: no weights, or bundled ones), which loads everywhere, so ``auto`` restores
every label it has evidence for even where the pretrained weights are absent. A label with evidence where no
method beats the input gets ``null``; a label without evidence gets the first runnable registry method that
lists it in its ``tasks``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import yaml

from degrade.labels import DEGRADATIONS, op_label
from degrade.spec import spec_ops
from models.registry import RESTORERS, entries
from models.restorer import ModelInfo
from restorebench.atomic import write_text_atomic
from restorebench.errors import InputError

DEFAULT_TABLE = Path(__file__).with_name("methods.yaml")
METRIC = "psnr↑"
COMPOSITE = ("auto", "identity")
"""Entries never chosen for a label: the loop itself and the no-op (nor is any method that needs a prompt or an
instruction beside the image: the loop gives it the image alone)."""


def load_table(path: str | Path | None = None) -> dict[str, list[str]]:
    """The table at ``path`` (default: the shipped one): every degradation label -> its candidate methods, best
    first (``[]`` for none)."""
    path = Path(path) if path is not None else DEFAULT_TABLE
    if not path.is_file():
        raise InputError(f"{path}: no such method table (a YAML mapping label: method)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from exc
    if not isinstance(raw, dict):
        raise InputError(f"{path}: a method table is a mapping of labels to method names")
    unknown = sorted(set(raw) - set(DEGRADATIONS))
    if unknown:
        raise InputError(f"{path}: unknown label(s) {unknown}; labels are {list(DEGRADATIONS)}")
    known = entries()
    table = {}
    for label in DEGRADATIONS:
        value = raw.get(label)
        methods = [] if value is None else [value] if isinstance(value, str) else value
        if not isinstance(methods, list):
            raise InputError(f"{path}: {label}: {value!r} is neither a method name nor a list of them")
        for method in methods:
            if not isinstance(method, str) or method not in known:
                raise InputError(f"{path}: {label}: {method!r} is not a registry method "
                                 f"(restorebench models lists them)")
        table[label] = list(methods)
    return table


def ships(info: ModelInfo) -> bool:
    """True when ``info`` runs wherever restorebench is installed: no weights, or only bundled ones, and no
    license opt-in."""
    return not info.license_opt_in and all(wf.bundled for wf in info.weights)


def task_labels(task: dict) -> set[str]:
    """Labels of a suite task as recorded in a report's ``run.json`` (its spec's operators, or ``kinds``)."""
    spec = task.get("spec")
    return {op_label(op) for op in (spec_ops(spec) if isinstance(spec, dict) else [])} | set(task.get("kinds") or ())


def evidence(reports: Path) -> dict[str, list[tuple[str, dict[str, float]]]]:
    """label -> [(``report/task``, {method: PSNR})] over the single-label tasks of every report folder."""
    import pandas as pd

    found: dict[str, list[tuple[str, dict[str, float]]]] = {}
    for run in sorted(Path(reports).glob("*/run.json")):
        board = run.with_name("leaderboard.csv")
        tasks = json.loads(run.read_text()).get("config", {}).get("tasks") or {}
        if not board.is_file():
            continue
        table = pd.read_csv(board, comment="#").set_index("method")
        for name, task in tasks.items():
            labels, column = task_labels(task), f"{name}/{METRIC}"
            if len(labels) != 1 or column not in table.columns:
                continue
            scores = table[column].dropna()
            found.setdefault(labels.pop(), []).append((f"{run.parent.name}/{name}", scores.to_dict()))
    return found


def best_methods(reports: Path, runnable: Callable[[str], bool]) -> dict[str, dict]:
    """label -> {"methods" (best first), "gain_db" (the mean gain of the best runnable method, listed or not),
    "evidence"}: the choice of the module docstring."""
    found = evidence(reports)
    table = {}
    restorers = {n: i for n, i in entries().items()
                 if i.family in RESTORERS and n not in COMPOSITE and not (i.accepts_prompt or i.accepts_instruction)}
    for label in DEGRADATIONS:
        tasks = found.get(label, [])
        if not tasks:
            listed = [n for n, i in restorers.items() if label in i.tasks and runnable(n)]
            table[label] = {"methods": listed[:1], "gain_db": None,
                            "evidence": "no report task; first runnable registry method listing it" if listed
                            else "no report task and no registry method"}
            continue
        gains: dict[str, list[float]] = {}
        for _, scores in tasks:
            if "identity" not in scores:
                continue
            for method, value in scores.items():
                if method in restorers:
                    gains.setdefault(method, []).append(value - scores["identity"])
        mean = {m: sum(g) / len(g) for m, g in gains.items() if runnable(m)}
        ranked = sorted((m for m in mean if mean[m] > 0), key=lambda m: -mean[m])
        shipped = next((i for i, m in enumerate(ranked) if ships(restorers[m])), len(ranked))
        best = max(mean, key=mean.__getitem__, default=None)
        table[label] = {"methods": ranked[:shipped + 1], "gain_db": round(mean[best], 2) if best else None,
                        "evidence": ", ".join(t for t, _ in tasks)}
    return table


def render(table: dict[str, dict], reports: Path) -> str:
    """The YAML text of a table with its evidence as comments."""
    lines = [f"# Method per detected label for `restorebench auto` (models/detect/table.py), made from {reports}/ by",
             f"#   python -m models.detect.table {reports} models/detect/methods.yaml",
             "# Candidates best first, down to the first that ships with restorebench; null: no runnable method",
             "# beats the input on that label's report tasks (the label is passed over)."]
    for label, row in table.items():
        gain = f"mean PSNR gain over identity {row['gain_db']:+.2f} dB on " if row["gain_db"] is not None else ""
        methods = ", ".join(row["methods"])
        lines += [f"# {label}: {gain}{row['evidence']}", f"{label}: {f'[{methods}]' if methods else 'null'}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m models.detect.table REPORTS OUT.yaml``: write the default table from committed reports."""
    import models

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m models.detect.table REPORTS_DIR OUT.yaml", file=sys.stderr)
        return 2
    reports = Path(args[0])
    table = best_methods(reports, lru_cache(maxsize=None)(lambda name: models.availability(name)[0]))
    write_text_atomic(Path(args[1]), render(table, reports))
    for label, row in table.items():
        gain = row["gain_db"] if row["gain_db"] is not None else ""
        print(f"{label:<9} {gain:<7} {', '.join(row['methods']) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
