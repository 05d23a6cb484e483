"""The training configuration: validated once, recorded as ``config.json`` in the run folder.

A run is fully described by this data plus the training data it names: the same config on the same CPU
gives the same weights bit for bit, and ``--resume`` refuses a run folder whose recorded config differs in
anything that changes the weights (``RESUME_FREE`` lists what may change between sessions).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from restorebench.errors import InputError
from restorebench.seeding import check_seed
from restorebench.validate import check_int

CONFIG = "config.json"
"""The run folder's record of its config."""
RESUME_FREE = ("out", "workers", "progress", "device", "val_every", "ckpt_every", "keep")
"""Fields that may differ when a run is resumed (they do not change the weights on one device)."""


@dataclass(frozen=True)
class TrainConfig:
    """What to train, on what, and how.

    * model / size: a registry name and a named architecture size (``small``, ``paper``; see
      ``restorebench models --long``); ``hparams`` are filled in from them.
    * data: ``corpus`` (a folder written by ``restorebench generate`` or its HF export), or ``spec`` (a corpus
      config YAML, as ``generate --config`` takes) with ``source`` (clean images), degraded on the fly with the
      same per-sample seeds; ``val`` a held-out corpus folder, else the last ``val_count`` samples are held out.
    * steps, batch, patch (pixels, a multiple of the model's size multiple), lr (peak AdamW learning rate),
      min_lr, warmup (linear warm-up steps, then cosine decay to ``min_lr``), weight_decay, grad_clip (max global
      gradient norm; 0 = off), ema (EMA decay of the weights; 0 = off; the EMA weights are the final ones).
    * peer: ``{"name": "albumentations.GaussNoise", "params": {...}}`` with ``spec``/``source``: the same crops,
      degraded by another library's synthesizer (``degrade.peers``) instead of the spec's tasks.
    * init: a final.pth of an earlier training stage, for methods trained in stages (Defusion: a
      ``defusion-tokenizer`` run of the same size, whose tokenizer ``defusion`` keeps frozen; see
      ``train.stages``); init_sha256 is that file's sha256, filled in when the run starts (so a resume with
      another file is refused).
    * val_every / ckpt_every (steps), keep (checkpoints kept), workers (DataLoader processes), threads (torch
      CPU threads; part of the config since it can change float summation order), device.
    """

    model: str
    out: str
    size: str = "small"
    hparams: dict = field(default_factory=dict)
    corpus: str | None = None
    spec: str | None = None
    source: str | None = None
    val: str | None = None
    peer: dict | None = None
    init: str | None = None
    init_sha256: str | None = None
    val_count: int = 16
    seed: int = 0
    steps: int = 1000
    batch: int = 8
    patch: int = 96
    lr: float = 5e-4
    min_lr: float = 1e-6
    warmup: int = 100
    weight_decay: float = 1e-4
    grad_clip: float = 1.0
    ema: float = 0.999
    val_every: int = 250
    ckpt_every: int = 100
    keep: int = 3
    workers: int = 0
    threads: int = 1
    device: str = "cpu"
    progress: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form (what ``config.json`` holds)."""
        return asdict(self)

    def weights_defining(self) -> dict[str, Any]:
        """The fields that determine the weights (all but :data:`RESUME_FREE`)."""
        return {k: v for k, v in self.to_dict().items() if k not in RESUME_FREE}


def _number(name: str, value: Any, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise InputError(f"{name}={value!r}: expected a number in [{low:g}, {high:g}]")


def _check_peer(cfg: TrainConfig) -> None:
    from degrade.peers import split_name, unavailable

    peer = cfg.peer
    if cfg.spec is None:
        raise InputError("peer needs --spec CONFIG.yaml and --source DIR (the crops the peer degrades)")
    if not isinstance(peer, dict) or set(peer) - {"name", "params"} or not isinstance(peer.get("name"), str) \
            or not isinstance(peer.get("params", {}), dict):
        raise InputError(f"peer={peer!r}: expected {{'name': '<library>.<transform>', 'params': {{...}}}}")
    split_name(peer["name"])
    why = unavailable(peer["name"])
    if why is not None:
        raise InputError(f"peer {peer['name']}: {why}")


def validate(cfg: TrainConfig) -> TrainConfig:
    """Check every field once; raise one InputError line naming the field and what to do."""
    if (cfg.corpus is None) == (cfg.spec is None):
        raise InputError("give the training data as --corpus DIR, or as --spec CONFIG.yaml with --source DIR")
    if cfg.spec is not None and cfg.source is None:
        raise InputError("--spec needs --source DIR (the clean images to degrade on the fly)")
    if cfg.corpus is not None and cfg.source is not None:
        raise InputError("--source goes with --spec; a corpus already holds its images")
    if cfg.peer is not None:
        _check_peer(cfg)
    check_seed(cfg.seed, "seed")
    for name in ("steps", "batch", "patch", "val_every", "ckpt_every", "keep", "threads"):
        check_int(getattr(cfg, name), name, 1)
    for name in ("workers", "warmup", "val_count"):
        check_int(getattr(cfg, name), name, 0)
    _number("lr", cfg.lr, 1e-8, 1.0)
    _number("min_lr", cfg.min_lr, 0.0, cfg.lr)
    _number("weight_decay", cfg.weight_decay, 0.0, 1.0)
    _number("grad_clip", cfg.grad_clip, 0.0, 1e6)
    _number("ema", cfg.ema, 0.0, 0.999999)
    if cfg.device != "cpu" and not cfg.device.startswith("cuda"):
        raise InputError(f"device={cfg.device!r}: expected cpu, cuda or cuda:N")
    return cfg


def read_config(path: Path) -> dict[str, Any]:
    """The config recorded in a run folder's ``config.json``; a damaged file gives one line."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable run config ({exc}); start a new run folder") from exc
    known = {f.name for f in fields(TrainConfig)}
    if not isinstance(raw, dict) or not known >= set(raw):
        raise InputError(f"{path}: not a restorebench run config; start a new run folder")
    return raw
