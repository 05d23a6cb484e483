"""Report figures (matplotlib, Agg backend) from per-image results [method, task, metric, value, status, ...].

* :func:`task_bars`: one panel per task, the methods that ran on it as bars sorted best first (mean with the
  standard error as an error bar), the unrestored input in grey; the value axis starts at zero, so bar
  lengths are proportional to the values and small differences look small;
* :func:`severity_curves`: one panel per operator, the metric against severity, one line per method; the
  ticks name each severity's physical level when given (``sigma 15``, ``quality 10``);
* :func:`order_heatmap`: methods x degradation orders (``mixed-orders``), cells the metric's mean coloured by
  the difference from the method's own mean, plus the spread (max - min over orders): how sensitive each
  method is to the order of degradations.
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


def _palette(plt, n: int) -> list:
    """Distinct colours without greys (grey marks the unrestored baseline)."""
    if n <= 9:
        return [c for i, c in enumerate(plt.get_cmap("tab10").colors) if i != 7]
    return [c for i, c in enumerate(plt.get_cmap("tab20").colors) if i not in (14, 15)]


def _save(plt, fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def _panels(plt, n: int, max_cols: int, width: float, height: float, **kwargs):
    """A figure with ``n`` panels on a grid of at most ``max_cols`` columns; unused panels hidden."""
    cols = min(max_cols, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False, **kwargs)
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, axes


def _ok(results: pd.DataFrame, metric: str) -> pd.DataFrame:
    return results[(results["status"] == "ok") & (results["metric"] == metric)]


def _label(metric: str, higher: bool) -> str:
    return f"{metric} ({'higher' if higher else 'lower'} is better)"


def task_bars(
    results: pd.DataFrame,
    metric: str,
    path: Path,
    higher: bool = True,
    methods: list[str] | None = None,
    baseline: str = "identity",
) -> Path | None:
    """One panel per task: horizontal bars of the methods that ran on it, best first, labelled with the mean,
    the standard error as an error bar, on a value axis from zero.

    A method keeps its colour in every panel; ``baseline`` (the unrestored input) is drawn in grey.
    """
    df = _ok(results, metric)
    if df.empty:
        return None
    tasks = list(dict.fromkeys(df["task"]))
    methods = [m for m in (methods or list(dict.fromkeys(df["method"]))) if m in set(df["method"])]
    stats = df.groupby(["task", "method"])["value"].agg(["mean", "sem"])
    plt = _plt()
    palette = _palette(plt, len(methods))
    colors = {m: ("0.6" if m == baseline else palette[k % len(palette)]) for k, m in enumerate(methods)}
    per_panel = max(len(stats.loc[t]) for t in tasks)
    fig, axes = _panels(plt, len(tasks), 3, 4.2, max(1.8, 0.22 * per_panel + 0.9))
    for ax, t in zip(axes.flat, tasks):
        st = stats.loc[t].reindex([m for m in methods if m in stats.loc[t].index])
        st = st.sort_values("mean", ascending=higher)
        y = np.arange(len(st))
        ax.barh(y, st["mean"], xerr=st["sem"].fillna(0.0), color=[colors[m] for m in st.index], height=0.7,
                error_kw={"lw": 0.8, "capsize": 1.5, "ecolor": "0.3"})
        ax.set_yticks(y, st.index, fontsize=7)
        lo, hi = min(0.0, float(st["mean"].min())), max(0.0, float(st["mean"].max()))
        ax.set_xlim(lo - 0.02 * (hi - lo), hi + 0.22 * (hi - lo) + 1e-9)  # room for the labels
        ax.axvline(0.0, color="0.2", lw=0.8)
        for yi, v, se in zip(y, st["mean"], st["sem"].fillna(0.0)):
            ax.text(v + se, yi, f" {v:.2f}" if abs(v) >= 10 else f" {v:.3f}", va="center", fontsize=6)
        ax.set_title(t, fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"{_label(metric, higher)}; axis from 0, bars: mean ± standard error", fontsize=9)
    fig.tight_layout()
    return _save(plt, fig, path)


def severity_curves(
    results: pd.DataFrame,
    metric: str,
    path: Path,
    higher: bool = True,
    baseline: str = "identity",
    levels: dict[str, str] | None = None,
) -> Path | None:
    """One panel per operator (``group``): mean ``metric`` against severity, one line per method (``baseline``,
    the unrestored input, in grey). ``levels``: task -> its physical level (``sigma 15``), the tick labels."""
    df = _ok(results, metric).dropna(subset=["severity"])
    if df.empty:
        return None
    groups = list(dict.fromkeys(df["group"]))
    methods = list(dict.fromkeys(df["method"]))
    plt = _plt()
    fig, axes = _panels(plt, len(groups), 4, 3.2, 2.6, sharey=True)
    palette = _palette(plt, len(methods))
    handles = {}
    for ax, g in zip(axes.flat, groups):
        sub = df[df["group"] == g].groupby(["method", "severity"])["value"].mean()
        for k, m in enumerate(methods):
            if m in sub.index.get_level_values(0):
                s = sub[m].sort_index()
                (line,) = ax.plot(
                    s.index.astype(int),
                    s.values,
                    marker="o",
                    ms=3,
                    lw=1.2,
                    color="0.6" if m == baseline else palette[k % len(palette)],
                    label=m,
                )
                handles.setdefault(m, line)
        ax.set_title(g, fontsize=9)
        ticks = df[df["group"] == g].drop_duplicates("severity").sort_values("severity")
        ax.set_xticks(ticks["severity"].astype(int),
                      [(levels or {}).get(t, str(int(v))) for t, v in zip(ticks["task"], ticks["severity"])],
                      fontsize=7, rotation=20 if levels else 0)
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel(_label(metric, higher), fontsize=8)
    for ax in axes[-1, :]:
        ax.set_xlabel("severity (level of the degradation)" if levels else "severity", fontsize=8)
    fig.tight_layout()
    fig.legend(
        list(handles.values()),
        list(handles),
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        fontsize=7,
        frameon=False,
    )
    return _save(plt, fig, path)


def order_heatmap(results: pd.DataFrame, metric: str, path: Path, higher: bool = True) -> Path | None:
    """Heatmap of mean ``metric``: rows methods, columns degradation orders, plus the max-min spread per method.

    Cells show the mean; their colour is the difference from the method's own mean over all orders (blue:
    this order is easier for the method, red: harder), so order sensitivity is visible for every method
    whatever its overall level.
    """
    df = _ok(results, metric).dropna(subset=["order"])
    if df.empty:
        return None
    table = df.groupby(["method", "order"])["value"].mean().unstack("order")
    table = table[list(dict.fromkeys(df["order"]))]
    spread = table.max(axis=1) - table.min(axis=1)
    gain = (table.sub(table.mean(axis=1), axis=0) * (1.0 if higher else -1.0)).to_numpy()
    limit = float(np.nanmax(np.abs(gain))) or 1.0
    plt = _plt()
    fig, (ax, ax2) = plt.subplots(
        1,
        2,
        figsize=(1.3 * table.shape[1] + 3.6, 0.42 * len(table) + 1.6),
        gridspec_kw={"width_ratios": [table.shape[1], 1]},
    )
    im = ax.imshow(gain, aspect="auto", cmap="RdBu", vmin=-limit, vmax=limit)
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(table)), table.index, fontsize=8)
    for (i, j), v in np.ndenumerate(table.to_numpy()):
        if np.isfinite(v):
            ax.text(
                j,
                i,
                f"{v:.2f}" if abs(v) >= 10 else f"{v:.3f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if abs(gain[i, j]) > 0.6 * limit else "black",
            )
    ax.set_title(
        f"{_label(metric, higher)} by degradation order; colour: better (blue) or worse (red) than "
        "the method's mean over orders",
        fontsize=8,
    )
    fig.colorbar(im, ax=ax, fraction=0.03)
    ax2.imshow(spread.to_numpy()[:, None], aspect="auto", cmap="Reds")
    for i, v in enumerate(spread.to_numpy()):
        ax2.text(0, i, f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}", ha="center", va="center", fontsize=7)
    ax2.set_xticks([0], ["spread"], fontsize=8)
    ax2.set_yticks([])
    fig.tight_layout()
    return _save(plt, fig, path)
