"""Protocols side by side: the same restored images scored under the protocols of the papers a user compares
with, so a report shows how much of a gap between two published numbers is the scoring convention.

The pixel metrics (PSNR, SSIM, MS-SSIM: the ones a protocol's colour space, quantization, crop and SSIM window
change) of every method that ran are scored under the suite's protocol and each of ``compare_protocols``,
cached per protocol in the work folder like the suite's own scores. The summary gives, per task and metric,
the value under each other protocol minus the value under the suite's, as the mean over methods and its
range.
"""

from __future__ import annotations

import pandas as pd

from benchmark.runner import RunResult
from benchmark.scoring import Scorer, harness_scorer, score_task
from benchmark.workdir import score_path

PIXEL_METRICS = ("psnr", "ssim", "ms_ssim")
"""The metrics whose value depends on the protocol's colour conventions."""


def protocol_scores(rr: RunResult, scorer: Scorer | None = None) -> pd.DataFrame:
    """Per-image scores [protocol, method, task, image_id, metric, value] of the pixel metrics of every method
    that ran, under the suite's protocol and each of its ``compare_protocols`` (cached; empty without any)."""
    suite = rr.suite
    metrics = tuple(m for m in rr.metrics() if m in PIXEL_METRICS)
    if not suite.compare_protocols or not metrics:
        return pd.DataFrame(columns=["protocol", "method", "task", "image_id", "metric", "value"])
    scorer = scorer or harness_scorer(rr.device)
    frames = []
    for protocol in (suite.protocol, *suite.compare_protocols):
        for method, reason in rr.status.items():
            for task in suite.tasks:
                folder = rr.restored_dir(method, task.name)
                if reason is not None or not task.has_reference or not folder.is_dir():
                    continue
                td = rr.data[task.name]
                cache = score_path(rr.work_dir, protocol, rr.method_keys.get(method, method), td)
                scores, _ = score_task(td, folder, metrics, protocol, scorer, cache)
                frames.append(scores.assign(protocol=protocol, method=method, task=task.name))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out.reindex(columns=["protocol", "method", "task", "image_id", "metric", "value"])


def method_means(scores: pd.DataFrame, protocols: list[str]) -> pd.DataFrame:
    """Mean per (method, task, metric) with one column per protocol (images scored under all of them)."""
    keys = ["method", "task", "metric"]
    ok = scores[pd.notna(scores["value"])]
    table = ok.pivot_table(index=[*keys, "image_id"], columns="protocol", values="value")
    means = table.reindex(columns=protocols).dropna().groupby(level=keys).mean()
    order = pd.MultiIndex.from_frame(scores[keys].drop_duplicates())  # the run's order, not sorted
    return means.reindex(order.intersection(means.index, sort=False))


def protocol_gaps(scores: pd.DataFrame, base: str, others: list[str]) -> pd.DataFrame:
    """Per (task, metric) and other protocol: ``mean``, ``min``, ``max`` over methods of (value under the other
    protocol - value under ``base``), and ``methods`` (how many)."""
    means = method_means(scores, [base, *others])
    rows = []
    for (task, metric), g in means.groupby(level=["task", "metric"], sort=False):
        for other in others:
            d = g[other] - g[base]
            rows.append({"task": task, "metric": metric, "protocol": other, "mean": d.mean(), "min": d.min(),
                         "max": d.max(), "methods": len(d)})
    return pd.DataFrame(rows, columns=["task", "metric", "protocol", "mean", "min", "max", "methods"])


def gap_tables(gaps: pd.DataFrame, base: str) -> list[tuple[str, pd.DataFrame]]:
    """(caption, table) per metric: rows tasks, columns the other protocols, cells ``+mean (min..max)`` (values
    that round to zero unsigned)."""
    from benchmark.leaderboard import format_value

    def signed(v: float, metric: str) -> str:
        text = format_value(v, metric, 1.0).removeprefix("-")
        zero = not text.strip("0.")
        return text if zero else ("-" if v < 0 else "+") + text

    def cell(r: pd.Series) -> str:
        return f"{signed(r['mean'], r['metric'])} ({signed(r['min'], r['metric'])}..{signed(r['max'], r['metric'])})"

    out = []
    for metric, g in gaps.groupby("metric", sort=False):
        table = g.assign(cell=g.apply(cell, axis=1)).pivot(index="task", columns="protocol", values="cell")
        table = table.reindex(index=list(dict.fromkeys(g["task"])), columns=list(dict.fromkeys(g["protocol"])))
        caption = (f"{metric} under each protocol minus {metric} under {base} (the suite's), mean over up to "
                   f"{int(g['methods'].max())} methods (min..max)")
        out.append((caption, table))
    return out
