"""``train(config)``: the training loop behind ``restorebench train``.

AdamW on the method's objective (``train.losses``), a linear warm-up then cosine learning-rate schedule,
global gradient-norm clipping, an EMA of the weights, bf16 autocast on CUDA (float32 on the CPU). The model
is initialized under ``torch_seeded(seed)`` and the data stream depends on (seed, step) only, so a run on the
CPU is bit-reproducible and a resumed run ends with the same weights as an uninterrupted one. A method trained
in stages gets the part trained before from ``--init`` and keeps it frozen (``train.stages``).
Every ``val_every`` steps the held-out pairs are scored (PSNR/SSIM in RGB on the 0-255 scale, PromptIR's
protocol); every ``ckpt_every`` steps a checkpoint is written. A non-finite loss or gradient stops the run
with the step that diverged; the checkpoints written before it stay.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

import models
from models.network import build_module
from restorebench.atomic import remove_stale_temporaries, write_text_atomic
from restorebench.errors import InputError, RestoreBenchError
from restorebench.seeding import torch_seeded
from train.checkpoint import (
    FINAL,
    StepLog,
    checkpoints,
    load_checkpoint,
    read_log,
    save_checkpoint,
    save_weights,
)
from train.config import CONFIG, TrainConfig, read_config, validate
from train.data import TrainStream, ValidationSet, open_pairs, split
from train.losses import Objective, objective_for
from train.plot import plot_curves
from train.schedule import learning_rate
from train.stages import InitFrom, check_init, load_init, train_mode

DATA = "data.json"
SUMMARY = "summary.json"
CURVES = "curves.png"
VAL_PROTOCOL = "promptir"


class TrainingDiverged(RestoreBenchError):
    """The loss or the gradient became non-finite."""


@dataclass(frozen=True)
class RunResult:
    """A finished run: its folder, the final weights file and sha256, and the summary written beside them."""

    run: Path
    weights: Path
    sha256: str
    summary: dict


def _worker_init(_: int) -> None:
    from degrade.corpus.run import limit_threads
    from restorebench.memory import keep_freed_memory

    limit_threads()
    keep_freed_memory()


@contextmanager
def _threads(n: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _claim(run: Path, cfg: TrainConfig, resume: bool) -> None:
    """Record the config in a new run folder, or check that a resumed one was made with the same config."""
    recorded = run / CONFIG
    if recorded.is_file():
        if not resume:
            raise InputError(f"{run}: holds a training run already; pass --resume to continue it or choose a "
                             f"new --out folder")
        old = read_config(recorded)
        new = cfg.weights_defining()
        diff = sorted(k for k in new if old.get(k) != new[k])
        if diff:
            raise InputError(f"{run}: was started with other settings ({', '.join(diff)} differ); resume with "
                             f"the same settings or choose a new --out folder")
        return
    if run.is_dir() and any(run.iterdir()):
        raise InputError(f"{run}: folder is not empty and holds no training run; choose a new --out folder")
    run.mkdir(parents=True, exist_ok=True)
    write_text_atomic(recorded, json.dumps(cfg.to_dict(), indent=2) + "\n")


class EMA:
    """Exponential moving average of a model's parameters (buffers copied), with the usual short-run warm-up
    of the decay: ``min(decay, (1 + n) / (10 + n))`` after ``n`` updates. The parameters of the submodule
    ``fixed`` (a frozen part loaded by ``--init``) are kept exactly as they are."""

    def __init__(self, model: torch.nn.Module, decay: float, fixed: str | None = None):
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        self.fixed = (fixed + ".",) if fixed else ()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module, updates: int) -> None:
        d = min(self.decay, (1 + updates) / (10 + updates))
        for (name, e), p in zip(self.model.named_parameters(), model.parameters()):
            if not name.startswith(self.fixed):
                e.mul_(d).add_(p.detach(), alpha=1 - d)
        for e, b in zip(self.model.buffers(), model.buffers()):
            e.copy_(b)


@torch.no_grad()
def validate_model(model: torch.nn.Module, data: ValidationSet, device: torch.device,
                   fixed: InitFrom | None = None) -> tuple[float, float]:
    """Mean PSNR (dB) and SSIM of ``model`` on the held-out pairs (RGB, 0-255 scale, outputs clamped), given
    their instructions when the pairs carry them; its frozen part ``fixed`` stays in evaluation mode after."""
    from benchmark.metrics.pixel import psnr, ssim
    from benchmark.protocols import get_protocol, prepare

    protocol = get_protocol(VAL_PROTOCOL)
    was_training = model.training
    model.eval()
    p_sum = s_sum = 0.0
    for i in range(len(data)):
        item = data[i]
        cond = {"instruction": item["instruction"][None].to(device)} if "instruction" in item else {}
        out = model(item["lq"][None].to(device), **cond).clamp(0, 1).float().cpu()
        a, b = prepare(out, protocol), prepare(item["gt"][None], protocol)
        p_sum += float(psnr(a, b, protocol)[0])
        s_sum += float(ssim(a, b, protocol)[0])
    train_mode(model, fixed, was_training)
    return p_sum / len(data), s_sum / len(data)


def _entry(cfg: TrainConfig) -> tuple[models.ModelInfo, Objective]:
    info = models.info(cfg.model)
    if info.family == "classical":
        raise InputError(f"{cfg.model}: a classical method has nothing to train; choose a learned or all-in-one model")
    if cfg.patch % info.size_multiple:
        raise InputError(f"patch={cfg.patch}: {cfg.model} needs sides that are multiples of {info.size_multiple}; "
                         f"use e.g. --patch {max(info.size_multiple, cfg.patch // info.size_multiple * info.size_multiple)}")
    objective = objective_for(info.adapter)
    if objective.instructions and cfg.peer is not None:
        raise InputError(f"peer: {cfg.model} is given visual instructions made from each sample's recipe, and a "
                         f"peer synthesizer records none; train it on --corpus or --spec pairs")
    return info, objective


def _build(cfg: TrainConfig, info: models.ModelInfo, objective: Objective) -> torch.nn.Module:
    """The run's model: built and prepared under ``torch_seeded(seed)``, its earlier stage loaded from --init."""
    with torch_seeded(cfg.seed):
        model = build_module(info, cfg.size)
        objective.prepare(model)
    if objective.init is not None:
        load_init(model, objective.init, cfg.init)
    return model


def _loader(stream: TrainStream, start: int, cfg: TrainConfig) -> DataLoader:
    # workers start from a forkserver, not as forks of the trainer: a fork of a process with running threads
    # can inherit a lock one of them holds and hang
    return DataLoader(stream, batch_size=cfg.batch, sampler=range(start * cfg.batch, cfg.steps * cfg.batch),
                      num_workers=cfg.workers, worker_init_fn=_worker_init if cfg.workers else None,
                      multiprocessing_context="forkserver" if cfg.workers else None,
                      pin_memory=cfg.device.startswith("cuda"))


def train(cfg: TrainConfig, resume: bool = False) -> RunResult:
    """Train ``cfg.model`` at ``cfg.size`` as ``cfg`` says, writing the run folder ``cfg.out``; see the module doc.

    Raises InputError for bad settings or data, TrainingDiverged when the loss becomes non-finite.
    """
    cfg = validate(cfg)
    info, objective = _entry(cfg)
    cfg = check_init(cfg, objective.init)
    run = Path(cfg.out)
    with _threads(cfg.threads):
        pairs, data_info = open_pairs(cfg)
        if not objective.restores and cfg.val is not None:
            raise InputError(f"--val: {cfg.model} restores nothing, so it is not validated on restoration pairs; "
                             f"drop --val (see docs/detect.md for how a detector is scored, docs/training.md for "
                             f"training stages)")
        train_idx, val_idx = split(len(pairs), cfg) if objective.restores else (list(range(len(pairs))), [])
        val_pairs = pairs
        if cfg.val is not None:
            from degrade.corpus import PairedCorpus

            val_pairs = PairedCorpus(cfg.val)
            val_idx = list(range(len(val_pairs)))
        model = _build(cfg, info, objective)
        _claim(run, cfg, resume)
        remove_stale_temporaries(run)
        if (run / SUMMARY).is_file() and (run / FINAL).is_file():
            summary = json.loads((run / SUMMARY).read_text())
            return RunResult(run, run / FINAL, summary["sha256"], summary)
        write_text_atomic(run / DATA, json.dumps(data_info, indent=2, default=str) + "\n")
        ground = model.instruction_spec if objective.instructions else None
        stream = TrainStream(pairs, train_idx, cfg.seed, cfg.patch, objective.views,
                             info.tasks if objective.labels else None, objective.severity, objective.seeds, ground)
        return _fit(cfg, info, objective, run, model, stream,
                    ValidationSet(val_pairs, val_idx, info.size_multiple, ground, cfg.seed) if val_idx else None)


def _fit(cfg: TrainConfig, info: models.ModelInfo, objective: Objective, run: Path, model: torch.nn.Module,
         stream: TrainStream, val: ValidationSet | None) -> RunResult:
    device = torch.device(cfg.device)
    train_mode(model.to(device), objective.init)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    ema = EMA(model, cfg.ema, objective.init.part if objective.init else None) if cfg.ema > 0 else None
    start = 0
    done = checkpoints(run)
    if done:
        state = load_checkpoint(done[-1][1])
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if ema is not None:
            ema.model.load_state_dict(state["ema"])
        start = int(state["step"])
    log = StepLog(run, start)
    bar = tqdm(total=cfg.steps, initial=start, desc=f"train {cfg.model}-{cfg.size}", unit="step",
               disable=not cfg.progress, smoothing=0.05)
    wait = compute = 0.0
    last_val: tuple[float, float] | None = None
    t_prev = time.perf_counter()
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    try:
        for step, batch in enumerate(_loader(stream, start, cfg), start=start):
            t0 = time.perf_counter()
            wait += t0 - t_prev
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            if objective.progress:
                batch["progress"] = step / cfg.steps
            lr = learning_rate(step, cfg.steps, cfg.lr, cfg.min_lr, cfg.warmup)
            for group in opt.param_groups:
                group["lr"] = lr
            with autocast:
                loss, parts = objective.loss(model, batch)
            if not torch.isfinite(loss):
                _diverged(run, step, f"loss is {float(loss.detach())}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip if cfg.grad_clip > 0 else float("inf"))
            if not torch.isfinite(norm):
                _diverged(run, step, f"gradient norm is {float(norm)}")
            opt.step()
            if ema is not None:
                ema.update(model, step)
            done_steps = step + 1
            t_prev = time.perf_counter()
            compute += t_prev - t0
            row = {"step": done_steps, "loss": f"{float(loss.detach()):.6g}", "lr": f"{lr:.6g}", "grad_norm": f"{float(norm):.4g}",
                   "img_per_s": f"{cfg.batch / (t_prev - t0):.3f}", "seconds": f"{t_prev - t0:.4f}",
                   "val_psnr": "", "val_ssim": "", "parts": json.dumps(parts)}
            if val is not None and (done_steps % cfg.val_every == 0 or done_steps == cfg.steps):
                last_val = validate_model(ema.model if ema else model, val, device, objective.init)
                row["val_psnr"], row["val_ssim"] = f"{last_val[0]:.4f}", f"{last_val[1]:.5f}"
            log.append(row)
            if done_steps % cfg.ckpt_every == 0 or done_steps == cfg.steps:
                save_checkpoint(run, done_steps, {"model": model.state_dict(), "optimizer": opt.state_dict(),
                                                  "ema": ema.model.state_dict() if ema else {}, "step": done_steps},
                                cfg.keep)
            bar.set_postfix(loss=f"{float(loss.detach()):.4f}", img_s=f"{cfg.batch / (t_prev - t0):.1f}",
                            **({"val_psnr": f"{last_val[0]:.2f}"} if last_val else {}))
            bar.update(1)
            t_prev = time.perf_counter()
    finally:
        bar.close()
    final_model = ema.model if ema else model
    return _finish(cfg, info, run, final_model, wait, compute)


def _how_to_load(info: models.ModelInfo, weights: Path) -> str:
    """How a run's final weights are used, for its summary."""
    if info.family == "stage":
        return f"--init {weights} in the method's next training stage (restorebench train; docs/training.md)"
    loader = "models.detect.load_detector" if info.family == "detector" else "models.load"
    return f"{loader}({info.name!r}, weights={str(weights)!r})"


def _diverged(run: Path, step: int, what: str) -> None:
    good = checkpoints(run)
    keep = f"the last good checkpoint is {good[-1][1]}" if good else "no checkpoint was written before it"
    raise TrainingDiverged(f"step {step + 1}: {what}; training stopped; {keep} (lower --lr or raise --warmup, "
                           f"then --resume)")


def _finish(cfg: TrainConfig, info: models.ModelInfo, run: Path, model: torch.nn.Module, wait: float,
            compute: float) -> RunResult:
    weights = run / FINAL
    digest = save_weights(weights, model.state_dict(), info.state_key, info.strip_prefix)
    rows = read_log(run, cfg.steps)
    vals = [r for r in rows if r.get("val_psnr")]
    summary: dict[str, Any] = {
        "model": cfg.model, "size": cfg.size, "steps": cfg.steps, "seed": cfg.seed, "sha256": digest,
        "bytes": weights.stat().st_size, "parameters": sum(p.numel() for p in model.parameters()),
        "val_psnr": float(vals[-1]["val_psnr"]) if vals else None,
        "val_ssim": float(vals[-1]["val_ssim"]) if vals else None,
        "train_seconds": sum(float(r["seconds"]) for r in rows),
        "data_wait_seconds_this_session": round(wait, 3), "step_seconds_this_session": round(compute, 3),
        "load": _how_to_load(info, weights),
    }
    if rows:
        plot_curves(rows, run / CURVES, f"{cfg.model} ({cfg.size}), seed {cfg.seed}")
    write_text_atomic(run / SUMMARY, json.dumps(summary, indent=2) + "\n")
    return RunResult(run, weights, digest, summary)
