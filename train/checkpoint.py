"""Run-folder files: training checkpoints (atomic, the last K kept), the per-step log, the final weights.

Checkpoints hold tensors, numbers and strings only and are read with ``torch.load(weights_only=True)``.
A kill at any moment leaves at worst a temporary file, removed on the next start; the newest complete
checkpoint is the one a resume continues from.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import torch

from restorebench.atomic import atomic_path, write_bytes_atomic, write_text_atomic
from restorebench.errors import InputError
from restorebench.weights import sha256_file

CKPT_DIR = "checkpoints"
CKPT_RE = re.compile(r"^step-(\d{8})\.pt$")
LOG = "log.csv"
LOG_COLUMNS = ("step", "loss", "lr", "grad_norm", "img_per_s", "seconds", "val_psnr", "val_ssim", "parts")
FINAL = "final.pth"


def checkpoint_path(run: Path, step: int) -> Path:
    """Where the checkpoint after ``step`` optimizer steps lives."""
    return run / CKPT_DIR / f"step-{step:08d}.pt"


def checkpoints(run: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints of a run, oldest first, as (step, path)."""
    folder = run / CKPT_DIR
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := CKPT_RE.match(p.name))] if folder.is_dir() else []
    return sorted(found)


def save_checkpoint(run: Path, step: int, state: dict[str, Any], keep: int) -> Path:
    """Write ``state`` as the checkpoint of ``step`` atomically, then delete all but the newest ``keep``."""
    path = checkpoint_path(run, step)
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    for _, old in checkpoints(run)[:-keep]:
        old.unlink(missing_ok=True)
    return path


def load_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint's state (tensors, numbers, strings; no arbitrary objects are unpickled)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for damaged files
        raise InputError(f"{path}: damaged checkpoint ({type(exc).__name__}); delete it to resume from the "
                         f"one before") from exc


def save_weights(path: Path, state: dict[str, torch.Tensor], state_key: str | None, prefix: str | None) -> str:
    """Write final weights in the layout of the model's registry entry (``state_key``, key ``prefix``)
    atomically; return their sha256 (also written to ``<path>.sha256``)."""
    tensors = {f"{prefix or ''}{k}": v.detach().cpu().contiguous() for k, v in state.items()}
    payload: dict[str, Any] = {state_key: tensors} if state_key else tensors
    buf = io.BytesIO()
    torch.save(payload, buf)
    write_bytes_atomic(path, buf.getvalue())
    digest = sha256_file(path)
    write_text_atomic(path.with_name(path.name + ".sha256"), f"{digest}  {path.name}\n")
    return digest


def read_log(run: Path, upto: int) -> list[dict[str, str]]:
    """Complete rows of the run's log with step <= ``upto`` (a row cut by a kill is dropped)."""
    path = run / LOG
    if not path.is_file():
        return []
    rows = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if None in row.values() or not (row.get("step") or "").isdigit():
                continue
            if int(row["step"]) <= upto:
                rows.append(row)
    return rows


class StepLog:
    """The per-step CSV log; resuming rewrites it with the rows up to the resumed step first."""

    def __init__(self, run: Path, resume_step: int):
        self.path = run / LOG
        kept = read_log(run, resume_step)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, LOG_COLUMNS)
        writer.writeheader()
        writer.writerows(kept)
        write_text_atomic(self.path, buf.getvalue())

    def append(self, row: dict[str, Any]) -> None:
        """Add one row and flush it to the file (a kill cuts at most this row)."""
        with open(self.path, "a", newline="", encoding="utf-8") as f:
            csv.DictWriter(f, LOG_COLUMNS).writerow(row)
