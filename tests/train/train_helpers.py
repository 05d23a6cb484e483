"""Helpers of the trainer tests (a uniquely named module: test folders share one import path)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import torch

from train import TrainConfig
from train.losses import Objective


def at(cfg: TrainConfig, out: Path, **changes) -> TrainConfig:
    """``cfg`` writing into ``out``, with ``changes``."""
    return replace(cfg, out=str(out), **changes)


def losses_around_one_step(obj: Objective, net: torch.nn.Module, batch: dict) -> tuple[float, float, dict]:
    """(loss before, loss after, parts after) one AdamW step (lr 1e-3) of ``obj`` on ``net`` over ``batch``."""
    net.train()
    opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=1e-3)
    before, _ = obj.loss(net, batch)
    opt.zero_grad()
    before.backward()
    opt.step()
    after, parts = obj.loss(net, batch)
    return float(before.detach()), float(after.detach()), parts
