"""Each method's training objective: a prepare step on the fresh model and a loss on a batch.

* L1 (``l1``): mean absolute error between the restored and the clean patch; PromptIR's loss (its paper and
  code train with L1 alone) and the default for methods whose paper states none.
* AirNet (``airnet``): L1 plus 0.1 x the contrastive loss of its degradation encoder (MoCo: two crops of the
  same degraded image are a positive pair, the queue holds the negatives; temperature 0.07, key-encoder
  momentum 0.999). The paper first trains the encoder alone for 100 epochs; with this project's short
  budgets both terms are trained from the first step.
* Rong et al. (``rong``): L1 plus 0.1 x the binary cross-entropy of its degradation classifier's logits against
  the sample's multi-hot degradation labels (one per registry task; a sample may hold several degradations or
  none). The classifier is trained from scratch with the restorer, since no ImageNet weights are available
  offline. The weight 0.1 (AirNet's auxiliary weight here) makes the classification term about 0.07 at the
  start (0.1 x ln 2), the scale of a fresh network's L1 term (the input's own error), and small once the
  classifier has learned the degradation types, so restoration leads the shared layers' updates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

MOCO_TEMPERATURE = 0.07
MOCO_MOMENTUM = 0.999
AIRNET_CONTRAST_WEIGHT = 0.1
RONG_CLASSIFIER_WEIGHT = 0.1


@dataclass(frozen=True)
class Objective:
    """``prepare(model)`` once on the freshly built model; ``loss(model, batch) -> (loss, parts)``. ``views``:
    degraded crops per sample (2 adds ``lq2``); ``labels``: the batch carries ``labels``, a multi-hot vector over
    the registry entry's ``tasks`` (see ``train.data.label_vector``)."""

    name: str
    views: int
    prepare: Callable[[nn.Module], None]
    loss: Callable[[nn.Module, dict], tuple[torch.Tensor, dict[str, float]]]
    labels: bool = False


def _nothing(model: nn.Module) -> None:
    return None


def l1_loss(model: nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
    """L1 between ``model(lq)`` and ``gt``."""
    loss = F.l1_loss(model(batch["lq"]), batch["gt"])
    return loss, {"l1": float(loss.detach())}


def airnet_prepare(model: nn.Module) -> None:
    """Key encoder = query encoder, frozen (momentum-updated); queue of unit-norm random keys (drawn from
    torch's default generator, so under ``torch_seeded`` it is the run seed's)."""
    moco = model.E.E
    moco.encoder_k.load_state_dict(moco.encoder_q.state_dict())
    for p in moco.encoder_k.parameters():
        p.requires_grad_(False)
    moco.queue.copy_(F.normalize(torch.randn(moco.queue.shape), dim=0))
    moco.queue_ptr.zero_()


def airnet_loss(model: nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
    """L1 restoration loss + 0.1 x MoCo InfoNCE on two crops (``lq``, ``lq2``) of each degraded image."""
    moco = model.E.E
    inter, q = moco.encoder_q.embed(batch["lq"])
    with torch.no_grad():
        for pk, pq in zip(moco.encoder_k.parameters(), moco.encoder_q.parameters()):
            pk.mul_(MOCO_MOMENTUM).add_(pq.detach(), alpha=1 - MOCO_MOMENTUM)
        _, k = moco.encoder_k.embed(batch["lq2"])
    positive = (q * k).sum(dim=1, keepdim=True)
    negative = q @ moco.queue.clone()
    logits = torch.cat([positive, negative], dim=1) / MOCO_TEMPERATURE
    contrast = F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long, device=q.device))
    with torch.no_grad():
        n, size = len(k), moco.queue.shape[1]
        ptr = int(moco.queue_ptr)
        cols = (torch.arange(n, device=k.device) + ptr) % size
        moco.queue[:, cols] = k.T.to(moco.queue.dtype)
        moco.queue_ptr.fill_((ptr + n) % size)
    rec = F.l1_loss(model.R(batch["lq"], inter), batch["gt"])
    return rec + AIRNET_CONTRAST_WEIGHT * contrast, {"l1": float(rec.detach()), "contrast": float(contrast.detach())}


def rong_loss(model: nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
    """L1 restoration loss + 0.1 x BCE of the degradation logits against ``labels`` (multi-hot, [B, tasks])."""
    restored, logits = model.restore_and_classify(batch["lq"])
    rec = F.l1_loss(restored, batch["gt"])
    cls = F.binary_cross_entropy_with_logits(logits, batch["labels"])
    return rec + RONG_CLASSIFIER_WEIGHT * cls, {"l1": float(rec.detach()), "bce": float(cls.detach())}


OBJECTIVES = {
    "l1": Objective("l1", 1, _nothing, l1_loss),
    "airnet": Objective("airnet", 2, airnet_prepare, airnet_loss),
    "rong": Objective("rong", 1, _nothing, rong_loss, labels=True),
}
BY_ARCHITECTURE = {"models.arch.airnet": "airnet", "models.arch.promptir": "l1", "models.arch.rong": "rong"}
"""Adapter module -> objective name; unlisted architectures train with L1."""


def objective_for(adapter: str) -> Objective:
    """The objective of the architecture whose registry adapter is ``adapter`` (``module:factory``)."""
    return OBJECTIVES[BY_ARCHITECTURE.get(adapter.partition(":")[0], "l1")]
