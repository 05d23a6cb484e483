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
* Rong et al. (``rong``): L1 plus 0.1 x the binary cross-entropy of its degradation classifier's logits against
  the sample's multi-hot degradation labels (one per registry task; a sample may hold several degradations or
  none). The classifier is trained from scratch with the restorer, since no ImageNet weights are available
  offline. The weight 0.1 (AirNet's auxiliary weight here) makes the classification term about 0.07 at the
  start (0.1 x ln 2), the scale of a fresh network's L1 term (the input's own error), and small once the
  classifier has learned the degradation types, so restoration leads the shared layers' updates.
* Up-Restorer (``c2f``): C2F-DFT's two stages (Wang et al. 2023) as one step-dependent objective. Coarse
  (the first :data:`C2F_FINE_FROM` of the steps; C2F-DFT trains 270k coarse then 90k fine iterations): the
  diffusion loss, L1 between predicted and true noise at a random time step. Fine (the rest): the unrolled
  sampler runs from random noise and its output is scored against the clean patch with
  ``0.84 (1 - MS-SSIM) + 0.16 L1`` (MS-SSIM on the output clamped to [0,1], Gaussian 11x11 window, as many
  scales as the patch holds, up to five, their standard weights rescaled to sum to 1, each scale's mean floored
  at 1e-6). Sample i draws its time step and noise from a generator seeded by its ``seed`` (see
  ``train.data``), so runs are reproducible.
* Defusion, in the paper's two stages. The tokenizer (``defusion-tokenizer``) on visual instructions alone: MSE
  + LPIPS (AlexNet, v0.1) + VQ + 0.1 x the hinge adversarial term of its reconstruction, plus its PatchGAN
  critic's hinge loss; the adversarial term sees the critic with detached parameters and the critic detached
  reconstructions, so the one optimizer moves each network by its own terms only. Then the diffusion model
  (``defusion``) with that tokenizer frozen (``--init``; ``train.stages``): MSE between the predicted and the
  true degradation ``LQ - HQ``, sample i drawing its time step and noise from its ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import torch
import torch.nn.functional as F
from torch import nn

from benchmark.metrics.pixel import MS_SSIM_WEIGHTS, filter_valid_conv, ms_ssim
from benchmark.protocols import PEAK, Protocol
from models.arch.common import draw_noise
from train.stages import InitFrom

MOCO_TEMPERATURE = 0.07
MOCO_MOMENTUM = 0.999
AIRNET_CONTRAST_WEIGHT = 0.1
RONG_CLASSIFIER_WEIGHT = 0.1
C2F_FINE_FROM = 0.75
C2F_MS_SSIM_WEIGHT = 0.84
C2F_L1_WEIGHT = 0.16
MS_SSIM_LOSS_PROTOCOL = Protocol(name="ms-ssim-loss", source="C2F-DFT fine-stage loss: RGB, Gaussian 11x11 "
                                 "window, contrast-structure clamped at 0", ssim_clamp_cs=True)


@dataclass(frozen=True)
class Objective:
    """``prepare(model)`` once on the freshly built model; ``loss(model, batch) -> (loss, parts)``. ``views``:
    degraded crops per sample (2 adds ``lq2``); ``labels``: the batch carries ``labels``, a multi-hot vector over
    the registry entry's ``tasks`` (see ``train.data.label_vector``); ``seeds``: the batch carries ``seed``, an
    int64 per sample for the objective's own random draws; ``progress``: the batch carries ``progress``, the
    fraction of the run's steps done before this one (a float in [0, 1))."""

    name: str
    views: int
    prepare: Callable[[nn.Module], None]
    loss: Callable[[nn.Module, dict], tuple[torch.Tensor, dict[str, float]]]
    labels: bool = False
    seeds: bool = False
    progress: bool = False
    severity: bool = False
    """The batch also carries ``severity`` [B, C], ``sigma`` [B, 1] and ``quality`` [B, 1] (NaN where unknown;
    see ``degrade.labels.detection_targets``) and ``footprint`` [B, 1, P, P], the coverage of lens drops."""
    restores: bool = True
    """False for a degradation detector or a first training stage: its output is no restored image, so nothing
    is held out to score it during training (a detector's accuracy is measured on a test corpus; see
    docs/detect.md)."""
    instructions: bool = False
    """The batch carries ``instruction`` [B, 3, S, S]: the sample's recipe shown on the model's visual ground
    (``model.instruction_spec``; see ``train.data.instruction_image``), as benchmark suites make them."""
    init: InitFrom | None = None
    """The earlier training stage whose run's final.pth initializes part of the model (``--init``, required)."""


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


def ms_ssim_loss_weights(side: int) -> tuple[float, ...]:
    """The standard MS-SSIM weights of the scales an image of ``side`` pixels holds (at least 11 px at the
    coarsest), rescaled to sum to 1."""
    scales = 1
    while scales < len(MS_SSIM_WEIGHTS) and side >> scales >= 11:
        scales += 1
    kept = MS_SSIM_WEIGHTS[:scales]
    return tuple(w / sum(kept) for w in kept)


def sample_generators(batch: dict) -> list[torch.Generator]:
    """One CPU generator per sample, seeded by the batch's ``seed`` (an objective's own random draws)."""
    return [torch.Generator().manual_seed(int(s)) for s in batch["seed"]]


MS_SSIM_FLOOR = 1e-6
"""Lower bound of each MS-SSIM scale's mean in the fine-stage loss: a negative mean (coarse scales of a 64 px
sampler output anti-correlated with its target) has no real fractional power; bounded, it contributes a zero
gradient instead of NaN."""


def c2f_loss(model: nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
    """C2F-DFT's coarse (noise L1) or fine (0.84 (1 - MS-SSIM) + 0.16 L1 on the sampled output) loss."""
    generators = sample_generators(batch)
    lq, gt = batch["lq"], batch["gt"]
    if batch["progress"] < C2F_FINE_FROM:
        loss = model.noise_loss(lq, gt, generators)
        return loss, {"noise_l1": float(loss.detach())}
    out = model.sample(lq, draw_noise(generators, lq))
    l1 = F.l1_loss(out, gt)
    weights = ms_ssim_loss_weights(min(gt.shape[-2:]))
    ms = ms_ssim(out.clamp(0, 1).double() * PEAK, gt.double() * PEAK, MS_SSIM_LOSS_PROTOCOL, weights,
                 filter_valid_conv, floor=MS_SSIM_FLOOR).mean().float()
    loss = C2F_MS_SSIM_WEIGHT * (1 - ms) + C2F_L1_WEIGHT * l1
    return loss, {"l1": float(l1.detach()), "ms_ssim": float(ms.detach())}


DETECTOR_REGRESSION_WEIGHT = 0.25
"""Weight of the severity, sigma and quality terms against the label cross-entropy in the detector loss."""


def _masked_l1(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, scale: float) -> torch.Tensor:
    """Sum of |pred - target| / scale over ``mask``, divided by the batch size (like the label term, so that
    no term's gradient swamps the others whatever the number of masked entries)."""
    return (pred[mask] / scale - target[mask] / scale).abs().sum() / len(pred)


DROP_MAP_POS_WEIGHT = 10.0
"""Weight of the drop cells against the others in the drop map's cross-entropy (drops cover a few percent of
the cells of the images that have any)."""


def drop_map_loss(logits: torch.Tensor, footprint: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy, averaged over cells, of drop-map logits [N, H', W'] against the drops' coverage
    ``footprint`` [N, 1, H, W] averaged over each cell."""
    target = F.adaptive_avg_pool2d(footprint, logits.shape[-2:])[:, 0]
    return F.binary_cross_entropy_with_logits(logits, target, pos_weight=logits.new_tensor(DROP_MAP_POS_WEIGHT))


def detector_loss(model: nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
    """Per image: binary cross-entropy summed over every label (``clean`` included) + 0.25 x (L1 of the
    severity of the present labels (1-5 scale, divided by 5) + L1 of the Gaussian noise sigma (/50) and of the
    JPEG quality (/100) where the recipe has them); averaged over the batch; plus :func:`drop_map_loss` when
    the model maps drops."""
    from models.detect.net import QUALITY_SCALE, SEVERITY_SCALE, SIGMA_SCALE

    out = model(batch["lq"])
    labels, severity = batch["labels"], batch["severity"]
    sigma, quality = batch["sigma"][:, 0], batch["quality"][:, 0]
    bce = F.binary_cross_entropy_with_logits(out["logits"], labels, reduction="sum") / len(labels)
    sev = _masked_l1(out["severity"], severity, (labels > 0) & torch.isfinite(severity), SEVERITY_SCALE)
    sig = _masked_l1(out["sigma"], sigma, torch.isfinite(sigma), SIGMA_SCALE)
    qual = _masked_l1(out["quality"], quality, torch.isfinite(quality), QUALITY_SCALE)
    loss = bce + DETECTOR_REGRESSION_WEIGHT * (sev + sig + qual)
    parts = {"bce": float(bce.detach()), "severity": float(sev.detach()), "sigma": float(sig.detach()),
             "quality": float(qual.detach())}
    if "drop_map" in out:
        drops = drop_map_loss(out["drop_map"], batch["footprint"])
        loss = loss + drops
        parts["drop_map"] = float(drops.detach())
    return loss, parts


def drop_stage_loss(model: nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
    """:func:`drop_map_loss` of the drop-map stage's map against the batch's ``footprint``."""
    loss = drop_map_loss(model(batch["lq"])["drop_map"], batch["footprint"])
    return loss, {"drop_map": float(loss.detach())}


@cache
def lpips_distance(device: torch.device) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """LPIPS v0.1 (AlexNet) between two batches Nx3xHxW in [-1,1], averaged over the batch; differentiable."""
    from benchmark.metrics.perceptual import LPIPS

    metric = LPIPS("rgb", device, net="alex", precision="fp32")
    return lambda a, b: metric.score_prepared((a + 1) / 2, (b + 1) / 2).mean()


def defusion_tokenizer_loss(model: nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
    """Defusion's tokenizer stage on ``instruction``: the tokenizer's MSE + LPIPS + VQ + 0.1 x adversarial loss
    plus the critic's hinge loss (``TokenizerStage.losses``; each network moved by its own terms)."""
    return model.losses(batch["instruction"], lpips_distance(batch["instruction"].device))


def defusion_loss(model: nn.Module, batch: dict) -> tuple[torch.Tensor, dict[str, float]]:
    """MSE on the degradation ``lq - gt`` predicted from a noisy copy at a time step and noise drawn from each
    sample's ``seed``, conditioned on ``lq`` and ``instruction`` (the tokenizer frozen)."""
    loss = model.diffusion_loss(batch["lq"], batch["gt"], batch["instruction"], sample_generators(batch))
    return loss, {"mse": float(loss.detach())}


OBJECTIVES = {
    "l1": Objective("l1", 1, _nothing, l1_loss),
    "airnet": Objective("airnet", 2, airnet_prepare, airnet_loss),
    "rong": Objective("rong", 1, _nothing, rong_loss, labels=True),
    "c2f": Objective("c2f", 1, _nothing, c2f_loss, seeds=True, progress=True),
    "detector": Objective("detector", 1, _nothing, detector_loss, labels=True, severity=True, restores=False),
    "detector-drops": Objective("detector-drops", 1, _nothing, drop_stage_loss, labels=True, severity=True,
                                restores=False),
    "detector-mapped": Objective("detector-mapped", 1, _nothing, detector_loss, labels=True, severity=True,
                                 restores=False, init=InitFrom("detector-drops", "drop")),
    "defusion-tokenizer": Objective("defusion-tokenizer", 1, _nothing, defusion_tokenizer_loss, restores=False,
                                    instructions=True),
    "defusion": Objective("defusion", 1, _nothing, defusion_loss, seeds=True, instructions=True,
                          init=InitFrom("defusion-tokenizer", "tokenizer")),
}
BY_ARCHITECTURE = {"models.arch.airnet": "airnet", "models.arch.promptir": "l1", "models.arch.rong": "rong",
                   "models.arch.uprestorer": "c2f", "models.detect.net": "detector",
                   "models.detect.net:drop_mapper": "detector-drops",
                   "models.detect.net:mapped_degradation_cnn": "detector-mapped",
                   "models.arch.defusion.stage": "defusion-tokenizer", "models.arch.defusion": "defusion"}
"""Adapter (``module:factory``, or its module for every factory in it) -> objective name; unlisted
architectures train with L1."""


def objective_for(adapter: str) -> Objective:
    """The objective of the architecture whose registry adapter is ``adapter`` (``module:factory``)."""
    return OBJECTIVES[BY_ARCHITECTURE.get(adapter, BY_ARCHITECTURE.get(adapter.partition(":")[0], "l1"))]
