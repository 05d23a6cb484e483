"""Leaderboards from per-image results: rows are methods, columns task x metric, in Markdown, CSV and HTML.

A cell is the mean of the method's per-image values on that task with its standard error (images it failed
on are left out and the cell is starred; a cell over fewer than :data:`FEW_IMAGES` images is marked ``†``);
a set metric's cell (FID, KID) is its one value over the task's images, counted as that many images.
Ranks are fair: within each task, the methods that ran it are ranked per column (1 = best, ties share the
lower rank) by the metric's direction and a method's task rank is the mean over that task's metric columns.
The overall rank and the ``mean`` task (each metric averaged over the tasks) exist only for methods that
cover every task of the table, ranked among themselves; methods covering some tasks are marked
``partial k/n`` and never ranked against them. The best value of each column is bold, headers carry arrows
(``↑`` higher is better, ``↓`` lower is better), methods that could not run are ``n/a: <reason>`` rows, cells
of tasks a method is not made for are ``-`` and methods with no task in the suite are named in a note.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import pandas as pd

MEAN_TASK = "mean"
FEW_IMAGES = 10
"""Cells over fewer images than this are marked ``†``: their means are not worth a comparison."""


@dataclass
class Leaderboard:
    """A built leaderboard (see module docstring). ``means``/``errors`` (standard error of the mean)/``counts``
    are indexed by method with columns ``(task, metric)``; ``failed`` maps (method, task) to (failed, total)
    images; ``rank`` is the overall rank of the methods covering every task; ``task_rank`` (method x task)
    the rank within each task; ``partial`` maps the other methods to (tasks covered, tasks); ``unavailable``
    maps n/a methods to reasons; ``seconds`` gives restore seconds per image."""

    columns: list[tuple[str, str]]
    means: pd.DataFrame
    counts: pd.DataFrame
    failed: dict[tuple[str, str], tuple[int, int]]
    rank: pd.Series
    higher: dict[str, bool]
    unavailable: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)
    errors: pd.DataFrame = field(default_factory=pd.DataFrame)
    task_rank: pd.DataFrame = field(default_factory=pd.DataFrame)
    partial: dict[str, tuple[int, int]] = field(default_factory=dict)
    complexity: dict[str, dict[str, int]] = field(default_factory=dict)
    """method -> {"params", "macs"} (MACs of one 256x256 restoration) for learned methods."""

    @property
    def methods(self) -> list[str]:
        """Rows of the table: ranked methods, then partial ones, then n/a ones (methods with no task here are
        in :attr:`idle`)."""
        ranked = list(self.rank.index) + list(self.partial)
        return ranked + [m for m in self.unavailable if m not in ranked]

    @property
    def idle(self) -> list[str]:
        """Methods that could run but have no task in this suite (their kinds match none)."""
        return [m for m in self.means.index if m not in self.rank.index and m not in self.partial]

    @property
    def tasks(self) -> list[str]:
        """Tasks of the table, in column order (without the ``mean`` task)."""
        return list(dict.fromkeys(t for t, _ in self.columns if t != MEAN_TASK))

    def best(self, column: tuple[str, str]) -> set[str]:
        """Methods holding the best value of ``column`` (ties included); none when fewer than two compete."""
        col = self.means[column].dropna() if column in self.means else pd.Series(dtype=float)
        if len(col) < 2:
            return set()
        target = col.max() if self.higher.get(column[1], True) else col.min()
        return set(col.index[col == target])

    def cell(self, method: str, column: tuple[str, str]) -> float | None:
        """The mean of ``method`` in ``column`` or None (not run / not applicable)."""
        if method not in self.means.index or column not in self.means:
            return None
        v = self.means.at[method, column]
        return None if pd.isna(v) else float(v)


def short_reason(reason: str) -> str:
    """A short n/a label: ``weights unavailable``, ``license opt-in``, ``dependency missing`` or the reason."""
    low = reason.lower()
    if "weight" in low:
        return "weights unavailable"
    if "academic" in low or "license" in low or "opt-in" in low or "opt in" in low:
        return "license opt-in"
    if "no module" in low or "install" in low or "import" in low:
        return "dependency missing"
    return reason[:60]


def build_leaderboard(
    results: pd.DataFrame,
    higher: dict[str, bool],
    status: dict[str, str | None] | None = None,
    tasks: list[str] | None = None,
    metrics: list[str] | None = None,
    seconds: dict[str, float] | None = None,
    complexity: dict[str, dict[str, int]] | None = None,
) -> Leaderboard:
    """Build a leaderboard from per-image ``results`` [method, task, image_id, metric, value, status].

    ``higher``: metric -> True if higher is better. ``status``: method -> None (ran) or why it could not run.
    ``tasks``/``metrics``: column order (default: order of appearance). ``seconds``: restore seconds per
    image; ``complexity``: method -> {"params", "macs"} (:mod:`benchmark.complexity`).
    """
    status = status or {}
    ok = results[results["status"] == "ok"]
    tasks = tasks or list(dict.fromkeys(results["task"]))
    metrics = metrics or list(dict.fromkeys(ok["metric"]))
    columns = [(t, m) for t in tasks for m in metrics if ((ok["task"] == t) & (ok["metric"] == m)).any()]
    ran = [m for m in dict.fromkeys(list(status) + list(results["method"])) if status.get(m) is None]
    grouped = ok.groupby(["method", "task", "metric"])["value"]
    means = (
        grouped.mean()
        .unstack(["task", "metric"])
        .reindex(index=ran, columns=pd.MultiIndex.from_tuples(columns))
    )
    counts = (
        grouped.count()
        .unstack(["task", "metric"])
        .reindex(index=ran, columns=pd.MultiIndex.from_tuples(columns))
    )
    _count_set_images(ok, counts)
    failed = {}
    for (m, t), g in results.groupby(["method", "task"]):
        n_err = g.loc[g["status"] != "ok", "image_id"].nunique()  # errors and n/a (no conditioning)
        if n_err:
            failed[(m, t)] = (n_err, g["image_id"].nunique())
    errors = (
        (grouped.std(ddof=1) / grouped.count().pow(0.5))
        .unstack(["task", "metric"])
        .reindex(index=ran, columns=pd.MultiIndex.from_tuples(columns))
    )
    task_names = list(dict.fromkeys(t for t, _ in columns))
    covered = {m: [t for t in task_names if means.loc[m, [c for c in columns if c[0] == t]].notna().any()]
               for m in ran}
    full = [m for m in ran if task_names and len(covered[m]) == len(task_names)]
    partial = {m: (len(covered[m]), len(task_names)) for m in ran if 0 < len(covered[m]) < len(task_names)}

    def column_ranks(rows: list[str], cols: list[tuple[str, str]]) -> pd.DataFrame:
        return pd.DataFrame(
            {c: means.loc[rows, c].rank(ascending=not higher.get(c[1], True), method="min") for c in cols},
            index=rows,
        )

    task_rank = pd.DataFrame(
        {t: column_ranks(ran, [c for c in columns if c[0] == t]).mean(axis=1) for t in task_names}, index=ran
    )
    rank = column_ranks(full, columns).mean(axis=1).dropna().sort_values(kind="stable")
    if len(task_names) > 1:
        for m in metrics:
            cols = [c for c in columns if c[1] == m]
            if len(cols) > 1:
                means[(MEAN_TASK, m)] = means.loc[:, cols].mean(axis=1, skipna=False).where(means.index.isin(full))
                counts[(MEAN_TASK, m)] = counts[cols].sum(axis=1)
                columns.append((MEAN_TASK, m))
    unavailable = {m: str(r) for m, r in status.items() if r is not None}
    return Leaderboard(columns, means, counts, failed, rank, dict(higher), unavailable, dict(seconds or {}),
                       errors, task_rank, partial, dict(complexity or {}))


def _count_set_images(ok: pd.DataFrame, counts: pd.DataFrame) -> None:
    """Set the count of a set metric's cell (FID, KID: one row per method and task) to the number of images
    the method restored and scored on that task, in place."""
    from benchmark.harness import SET_ID

    sets = ok["image_id"] == SET_ID
    images = ok[~sets].groupby(["method", "task"])["image_id"].nunique()
    for m, t, metric in ok.loc[sets, ["method", "task", "metric"]].drop_duplicates().itertuples(index=False):
        if m in counts.index and (t, metric) in counts:
            counts.at[m, (t, metric)] = images.get((m, t), 0)


def format_value(value: float, metric: str, scale: float | None = None) -> str:
    """2 decimals for PSNR (dB) and for metrics whose values reach 10 (``scale``: the largest magnitude of the
    metric in the table, default ``value``), else 4 (SSIM, LPIPS), so a column keeps one format."""
    if not math.isfinite(value):
        return str(value)
    big = abs(value if scale is None else scale) >= 10 or metric.startswith("psnr")
    return f"{value:.2f}" if big else f"{value:.4f}"


def _scale(lb: Leaderboard, metric: str) -> float:
    cols = [c for c in lb.columns if c[1] == metric]
    return float(lb.means[cols].abs().max().max()) if cols else 0.0


def arrow(lb: Leaderboard, metric: str) -> str:
    """``↑`` if higher is better for ``metric``, else ``↓``."""
    return "↑" if lb.higher.get(metric, True) else "↓"


def _cells(lb: Leaderboard, method: str) -> list[tuple[str, bool]]:
    """(text, is_best) of a method's cells in :func:`display_columns` order: ``mean ±se`` with ``*`` (some
    images failed) and ``†`` (fewer than FEW_IMAGES images), and each task's rank after its columns."""
    out = []
    for col in display_columns(lb):
        if col[1] == "":
            r = lb.task_rank.at[method, col[0]] if method in lb.task_rank.index else float("nan")
            out.append(("-" if pd.isna(r) else f"{r:g}", False))
            continue
        v = lb.cell(method, col)
        if v is None:
            out.append(("-", False))
            continue
        scale = _scale(lb, col[1])
        se = lb.errors.at[method, col] if col in lb.errors and method in lb.errors.index else float("nan")
        text = format_value(v, col[1], scale) + ("" if pd.isna(se) else f" ±{format_value(se, col[1], scale)}")
        few = col[0] != MEAN_TASK and lb.counts.at[method, col] < FEW_IMAGES
        star = ("*" if (method, col[0]) in lb.failed else "") + ("†" if few else "")
        out.append((text + star, method in lb.best(col)))
    return out


def display_columns(lb: Leaderboard) -> list[tuple[str, str]]:
    """Columns as shown: each task's metric columns followed by ``(task, "")``, its rank column; then ``mean``."""
    out: list[tuple[str, str]] = []
    for t in lb.tasks:
        out += [c for c in lb.columns if c[0] == t] + [(t, "")]
    return out + [c for c in lb.columns if c[0] == MEAN_TASK]


def _header(lb: Leaderboard, col: tuple[str, str]) -> str:
    return "rank" if col[1] == "" else f"{col[1]} {arrow(lb, col[1])}"


def _rank_text(lb: Leaderboard, method: str) -> str:
    if method in lb.partial:
        return "partial {}/{}".format(*lb.partial[method])
    return f"{lb.rank[method]:.2f}" if method in lb.rank.index else "-"


def _seconds_text(lb: Leaderboard, method: str) -> str:
    s = lb.seconds.get(method)
    return "-" if s is None else (f"{s:.3f}" if s < 10 else f"{s:.1f}")


def _complexity_texts(lb: Leaderboard, method: str) -> list[str]:
    """The params and MACs cells of a method (``-`` for methods without a network)."""
    from benchmark.complexity import format_count

    c = lb.complexity.get(method)
    return [format_count(c["params"]), format_count(c["macs"])] if c else ["-", "-"]


SIDE_HEADERS = ["rank", "s/img", "params", "MACs@256"]
"""The per-method columns before the task columns."""


def _side_cells(lb: Leaderboard, method: str) -> list[str]:
    return [_rank_text(lb, method), _seconds_text(lb, method), *_complexity_texts(lb, method)]


def _notes(lb: Leaderboard) -> list[str]:
    notes = [
        f"{m}: {n} of {total} images of {t} failed (mean over the rest)"
        for (m, t), (n, total) in lb.failed.items()
    ]
    notes += [f"{m}: n/a: {reason}" for m, reason in lb.unavailable.items()]
    if lb.idle:
        notes.append(f"not run, no task of theirs in this suite: {', '.join(lb.idle)}")
    return notes


LEGEND = (
    "rank: overall rank, the mean of per-column ranks among the methods that cover every task (1 = best); "
    "partial k/n: covers k of n tasks, ranked only within those tasks; task rank: within that task; "
    f"±: standard error of the mean; †: fewer than {FEW_IMAGES} images; s/img: restore seconds per image; "
    "params, MACs@256: parameters and multiply-accumulates of one 256x256 restoration (learned methods); "
    "<b>bold</b>: best in column; -: task not handled by the method; *: some images failed"
)


def to_markdown(lb: Leaderboard) -> str:
    """The leaderboard as a GitHub Markdown table (best values bold) followed by footnotes."""
    head = ["method", *SIDE_HEADERS] + [f"{c[0]} {_header(lb, c)}" for c in display_columns(lb)]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for m in lb.methods:
        if m in lb.unavailable:
            cells = [f"n/a: {short_reason(lb.unavailable[m])}"] + [""] * (len(head) - 2)
        else:
            cells = _side_cells(lb, m) + [f"**{t}**" if best else t for t, best in _cells(lb, m)]
        lines.append("| " + " | ".join([m] + cells) + " |")
    notes = _notes(lb)
    legend = LEGEND.replace("<b>bold</b>", "**bold**")
    return "\n".join(lines + ["", legend] + ([""] + [f"- {n}" for n in notes] if notes else [])) + "\n"


def to_csv(lb: Leaderboard) -> str:
    """The leaderboard as CSV: method, rank, status (ok, partial k/n, n/a), s_per_img, params, macs_256 (MACs
    of one 256x256 restoration), ``task/rank`` per task,
    then per ``task/metric↑`` column the raw mean, its standard error (``… se``) and image count (``… n``)."""
    rows = []
    for m in lb.methods:
        row = {
            "method": m,
            "rank": lb.rank.get(m, float("nan")),
            "status": f"n/a: {lb.unavailable[m]}" if m in lb.unavailable
            else "partial {}/{}".format(*lb.partial[m]) if m in lb.partial else "ok",
            "s_per_img": lb.seconds.get(m, float("nan")),
            "params": lb.complexity.get(m, {}).get("params", float("nan")),
            "macs_256": lb.complexity.get(m, {}).get("macs", float("nan")),
        }
        for t in lb.tasks:
            row[f"{t}/rank"] = lb.task_rank.at[m, t] if m in lb.task_rank.index else float("nan")
        for col in lb.columns:
            v = lb.cell(m, col)
            name = f"{col[0]}/{col[1]}{arrow(lb, col[1])}"
            row[name] = float("nan") if v is None else v
            known = m in lb.errors.index and col in lb.errors
            row[f"{name} se"] = lb.errors.at[m, col] if known and v is not None else float("nan")
            row[f"{name} n"] = lb.counts.at[m, col] if m in lb.counts.index and v is not None else float("nan")
        rows.append(row)
    return pd.DataFrame(rows).to_csv(index=False, float_format="%.6g")


def to_html_table(lb: Leaderboard) -> str:
    """The leaderboard as an HTML table (two header rows: task, metric with arrow; best values bold)."""
    e = html.escape
    shown = display_columns(lb)
    tasks = list(dict.fromkeys(t for t, _ in shown))
    spans = {t: sum(1 for c in shown if c[0] == t) for t in tasks}
    h1 = "".join(f'<th colspan="{spans[t]}">{e(t)}</th>' for t in tasks)
    h2 = "".join(
        f'<th title="{"rank within the task" if m == "" else ("higher" if lb.higher.get(m, True) else "lower") + " is better"}">'
        f"{e(_header(lb, (t, m)))}</th>"
        for t, m in shown
    )
    body = []
    for m in lb.methods:
        if m in lb.unavailable:
            reason = lb.unavailable[m]
            body.append(
                f'<tr class="na"><th>{e(m)}</th><td colspan="{len(shown) + len(SIDE_HEADERS)}" '
                f'title="{e(reason)}">'
                f"n/a: {e(short_reason(reason))}</td></tr>"
            )
            continue
        cells = "".join(
            f'<td class="best">{e(t)}</td>' if best else f"<td>{e(t)}</td>" for t, best in _cells(lb, m)
        )
        side = "".join(f"<td>{e(t)}</td>" for t in _side_cells(lb, m))
        body.append(f"<tr><th>{e(m)}</th>{side}{cells}</tr>")
    notes = "".join(f"<li>{e(n)}</li>" for n in _notes(lb))
    return (
        '<table class="lb"><thead><tr><th rowspan="2">method</th>'
        + "".join(f'<th rowspan="2">{e(h)}</th>' for h in SIDE_HEADERS)
        + f'{h1}</tr><tr>{h2}</tr></thead><tbody>{"".join(body)}</tbody></table>'
        f'<p class="legend">{LEGEND}</p>'
        + (f'<ul class="notes">{notes}</ul>' if notes else "")
    )
