"""Report figures (matplotlib, Agg backend) from per-image results [method, task, metric, value, status, ...].

* :func:`task_bars`: per-task grouped bars of one metric, one bar per method (mean, with the standard error);
* :func:`severity_curves`: one panel per operator, the metric against severity 1..5, one line per method;
* :func:`order_heatmap`: methods x degradation orders (``mixed-orders``), cells the metric's mean, plus a last
  column with the spread (max - min over orders): how sensitive each method is to the order of degradations.
Each function writes a PNG and returns its path, or None when the results hold nothing to draw.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _ok(results: pd.DataFrame, metric: str) -> pd.DataFrame:
    return results[(results["status"] == "ok") & (results["metric"] == metric)]


def _label(metric: str, higher: bool) -> str:
    return f"{metric} ({'higher' if higher else 'lower'} is better)"


def task_bars(results: pd.DataFrame, metric: str, path: Path, higher: bool = True,
              methods: list[str] | None = None) -> Path | None:
    """Grouped bars: x = tasks, one bar per method, height = mean ``metric``, error bar = standard error."""
    df = _ok(results, metric)
    if df.empty:
        return None
    tasks = list(dict.fromkeys(df["task"]))
    methods = [m for m in (methods or list(dict.fromkeys(df["method"]))) if m in set(df["method"])]
    stats = df.groupby(["task", "method"])["value"].agg(["mean", "sem"])
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(tasks) * max(1, len(methods)) ** 0.5 + 2), 3.6))
    width = 0.8 / max(1, len(methods))
    x = np.arange(len(tasks))
    cmap = plt.get_cmap("tab20" if len(methods) > 10 else "tab10")
    for k, m in enumerate(methods):
        means = [stats["mean"].get((t, m), np.nan) for t in tasks]
        errs = [stats["sem"].get((t, m), np.nan) for t in tasks]
        ax.bar(x + (k - (len(methods) - 1) / 2) * width, means, width, yerr=np.nan_to_num(errs), label=m,
               color=cmap(k % cmap.N), capsize=1.5, error_kw={"elinewidth": 0.6})
    ax.set_xticks(x, tasks, rotation=30 if len(tasks) > 6 else 0, ha="right" if len(tasks) > 6 else "center")
    ax.set_ylabel(_label(metric, higher))
    vals = stats["mean"].dropna()
    if metric.startswith("psnr") and not vals.empty:
        ax.set_ylim(max(0.0, vals.min() - 3), vals.max() + 2)
    ax.legend(fontsize=7, ncol=min(4, len(methods)), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def severity_curves(results: pd.DataFrame, metric: str, path: Path, higher: bool = True) -> Path | None:
    """One panel per operator (``group``): mean ``metric`` against severity, one line per method."""
    df = _ok(results, metric).dropna(subset=["severity"])
    if df.empty:
        return None
    groups = list(dict.fromkeys(df["group"]))
    methods = list(dict.fromkeys(df["method"]))
    plt = _plt()
    cols = min(4, len(groups))
    rows = -(-len(groups) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False, sharey=True)
    cmap = plt.get_cmap("tab20" if len(methods) > 10 else "tab10")
    for ax, g in zip(axes.flat, groups):
        sub = df[df["group"] == g].groupby(["method", "severity"])["value"].mean()
        for k, m in enumerate(methods):
            if m in sub.index.get_level_values(0):
                s = sub[m].sort_index()
                ax.plot(s.index.astype(int), s.values, marker="o", ms=3, lw=1.2, color=cmap(k % cmap.N), label=m)
        ax.set_title(g, fontsize=9)
        ax.set_xticks(range(1, 6))
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(groups):]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel(_label(metric, higher), fontsize=8)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=7, frameon=False)
    fig.supxlabel("severity", fontsize=9, y=0.06)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def order_heatmap(results: pd.DataFrame, metric: str, path: Path, higher: bool = True) -> Path | None:
    """Heatmap of mean ``metric``: rows methods, columns degradation orders, plus the max-min spread."""
    df = _ok(results, metric).dropna(subset=["order"])
    if df.empty:
        return None
    table = df.groupby(["method", "order"])["value"].mean().unstack("order")
    table = table[list(dict.fromkeys(df["order"]))]
    spread = table.max(axis=1) - table.min(axis=1)
    plt = _plt()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(1.3 * table.shape[1] + 3.6, 0.42 * len(table) + 1.6),
                                  gridspec_kw={"width_ratios": [table.shape[1], 1]})
    im = ax.imshow(table.values, aspect="auto", cmap="viridis" if higher else "viridis_r")
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(table)), table.index, fontsize=8)
    lo, hi = np.nanmin(table.values), np.nanmax(table.values)
    for (i, j), v in np.ndenumerate(table.values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}" if abs(v) >= 10 else f"{v:.3f}", ha="center", va="center", fontsize=7,
                    color="white" if (v - lo) < 0.5 * (hi - lo) else "black")
    ax.set_title(f"{_label(metric, higher)} by degradation order", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.03)
    ax2.imshow(spread.values[:, None], aspect="auto", cmap="Reds")
    for i, v in enumerate(spread.values):
        ax2.text(0, i, f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}", ha="center", va="center", fontsize=7)
    ax2.set_xticks([0], ["spread"], fontsize=8)
    ax2.set_yticks([])
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
