"""The loss and validation-PSNR curves of a run, as one PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from restorebench.atomic import atomic_path


def plot_curves(rows: list[dict[str, str]], path: Path, title: str) -> Path:
    """Training loss (per step, and its 50-step running mean) and validation PSNR (dB) against the step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = np.array([int(r["step"]) for r in rows])
    loss = np.array([float(r["loss"]) for r in rows])
    val = [(int(r["step"]), float(r["val_psnr"])) for r in rows if r.get("val_psnr")]
    fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
    ax[0].plot(steps, loss, lw=0.5, alpha=0.4, label="loss")
    if len(loss) >= 50:
        mean = np.convolve(loss, np.ones(50) / 50, mode="valid")
        ax[0].plot(steps[49:], mean, lw=1.5, label="50-step mean")
    ax[0].set(xlabel="step", ylabel="training loss", yscale="log")
    ax[0].legend()
    if val:
        ax[1].plot(*zip(*val), marker="o")
    ax[1].set(xlabel="step", ylabel="validation PSNR (dB, RGB)")
    fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    return path
