"""Each method's training objective: a prepare step on the fresh model and a loss on a batch.

* L1 (``l1``): mean absolute error between the restored and the clean patch; PromptIR's loss (its paper and
  code train with L1 alone) and the default for methods whose paper states none.
* Detector (``detector``): per-label binary cross-entropy plus a quarter of the L1 on the severities, the noise
  sigma and the JPEG quality the recipes record (see :func:`detector_loss`); the batch carries labels and
  severities.
* AirNet (``airnet``): L1 plus 0.1 x the contrastive loss of its degradation encoder (MoCo: two crops of the
  same degraded image are a positive pair, the queue holds the negatives; temperature 0.07, key-encoder
  momentum 0.999). The paper first trains the encoder alone for 100 epochs; with this project's short
  budgets both terms are trained from the first step.
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
    severity: bool = False
    """The batch also carries ``severity`` [B, C], ``sigma`` [B, 1] and ``quality`` [B, 1] (NaN where unknown;
    see ``degrade.labels.detection_targets``)."""
    restores: bool = True
    """False for a degradation detector: its output is no image, so nothing is held out to score it during
    training (its accuracy is measured on a test corpus; see docs/detect.md)."""


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


DETECTOR_REGRESSION_WEIGHT = 0.25
"""Weight of the severity, sigma and quality terms against the label cross-entropy in the detector loss."""


def _masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, scale: float) -> torch.Tensor:
    """Sum of |pred - target| / scale over ``mask``, divided by the batch size (like the label term, so that
    no term's gradient swamps the others whatever the number of masked entries)."""
    return (pred[mask] / scale - target[mask] / scale).abs().sum() / len(pred)


def detector_loss(model: nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
    """Per image: binary cross-entropy summed over every label (``clean`` included) + 0.25 x (L1 of the
    severity of the present labels (1-5 scale, divided by 5) + L1 of the Gaussian noise sigma (/50) and of the
    JPEG quality (/100) where the recipe has them); averaged over the batch."""
    from models.detect.net import QUALITY_SCALE, SEVERITY_SCALE, SIGMA_SCALE

    out = model(batch["lq"])
    labels, severity = batch["labels"], batch["severity"]
    sigma, quality = batch["sigma"][:, 0], batch["quality"][:, 0]
    bce = F.binary_cross_entropy_with_logits(out["logits"], labels, reduction="sum") / len(labels)
    sev = _masked_l1(out["severity"], severity, (labels > 0) & torch.isfinite(severity), SEVERITY_SCALE)
    sig = _masked_l1(out["sigma"], sigma, torch.isfinite(sigma), SIGMA_SCALE)
    qual = _masked_l1(out["quality"], quality, torch.isfinite(quality), QUALITY_SCALE)
    loss = bce + DETECTOR_REGRESSION_WEIGHT * (sev + sig + qual)
    return loss, {"bce": float(bce.detach()), "severity": float(sev.detach()), "sigma": float(sig.detach()),
                  "quality": float(qual.detach())}


OBJECTIVES = {
    "l1": Objective("l1", 1, _nothing, l1_loss),
    "airnet": Objective("airnet", 2, airnet_prepare, airnet_loss),
    "detector": Objective("detector", 1, _nothing, detector_loss, labels=True, severity=True, restores=False),
}
BY_ARCHITECTURE = {"models.arch.airnet": "airnet", "models.arch.promptir": "l1", "models.detect.net": "detector"}
"""Adapter module -> objective name; unlisted architectures train with L1."""


def objective_for(adapter: str) -> Objective:
    """The objective of the architecture whose registry adapter is ``adapter`` (``module:factory``)."""
    return OBJECTIVES[BY_ARCHITECTURE.get(adapter.partition(":")[0], "l1")]
