"""Learning-rate schedule: linear warm-up from 0, then cosine decay to a floor."""

from __future__ import annotations

import math


def learning_rate(step: int, steps: int, lr: float, min_lr: float, warmup: int) -> float:
    """The learning rate of optimizer step ``step`` (0-based) of ``steps``: ``lr * (step + 1) / warmup`` during
    the warm-up, then ``min_lr + (lr - min_lr) (1 + cos(pi t)) / 2`` with t going from 0 to 1 over the rest."""
    if step < warmup:
        return lr * (step + 1) / warmup
    t = (step - warmup) / max(steps - warmup - 1, 1)
    return min_lr + (lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * min(t, 1.0)))
