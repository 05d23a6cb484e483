"""AutoDIR's blind image-quality assessment (BIQA) module on CLIP (open_clip_torch).

A degradation is scored by CLIP's scaled cosine similarity between the image and the prompt
``"A photo needs {degradation} artifact reduction"`` (AutoDIR's prompt; its label set ``AUTODIR_LABELS`` ends
with ``no``, the clean image); a softmax over the labels gives probabilities. The probability-weighted mix of the
prompts' per-token text features (N x 77 x width) is the text condition of AutoDIR's latent-diffusion restorer.

Fine-tuning objective (:func:`biqa_loss`): the fidelity loss ``1 - sum_i sqrt(p_i g_i)`` between the predicted
probabilities and the one-hot label of the degraded image, plus the semantic-agnostic constraint: the same loss
on the clean image against the ``no`` label, which penalizes detecting a degradation where there is none.
:func:`finetune_step` applies one optimizer step of it. :func:`zero_shot_biqa` builds the module on OpenAI's
CLIP ViT-L/14, resolved by ``restorebench.weights``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from models.arch.sd.clip import (
    CLIP_VIT_L14,
    VIT_L14,
    build_clip,
    image_embeddings,
    load_clip,
    text_embeddings,
    text_tokens,
    tokenize,
)
from restorebench.errors import InputError
from restorebench.weights import resolve

AUTODIR_LABELS = ("noise", "blur", "rain", "underexposure", "haze", "low resolution", "raindrop", "no")
"""AutoDIR's degradation labels, in the order of its released model; ``no`` is the clean image."""
CLEAN = "no"
TEMPLATE = "A photo needs {} artifact reduction"
FIDELITY_EPS = 1e-8


class BIQA(nn.Module):
    """CLIP (``self.clip``, an open_clip ``CLIP``) scoring ``labels`` through ``template`` prompts."""

    def __init__(self, clip_config: dict, labels: Sequence[str] = AUTODIR_LABELS, template: str = TEMPLATE):
        super().__init__()
        if CLEAN not in labels or len(set(labels)) != len(labels):
            raise InputError(f"BIQA labels {list(labels)}: need distinct labels including {CLEAN!r} (clean)")
        self.clip = build_clip(clip_config)
        self.labels = tuple(labels)
        self.template = template

    @property
    def prompts(self) -> list[str]:
        """One prompt per label."""
        return [self.template.format(label) for label in self.labels]

    @property
    def clean_index(self) -> int:
        """Index of the clean label ``no``."""
        return self.labels.index(CLEAN)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Scaled cosine similarities (N x labels) of an Nx3xHxW batch in [0,1] to the prompts."""
        image = image_embeddings(self.clip, x)
        text = text_embeddings(self.clip, self.prompts)
        return self.clip.logit_scale.exp() * image @ text.t()

    def probabilities(self, x: torch.Tensor, exclude: torch.Tensor | None = None) -> torch.Tensor:
        """Softmax over the labels (N x labels); ``exclude`` (N x labels bool) removes labels per image."""
        logits = self.logits(x)
        if exclude is not None:
            logits = logits.masked_fill(exclude, float("-inf"))
        return F.softmax(logits, dim=1)

    def condition(self, probs: torch.Tensor) -> torch.Tensor:
        """Text condition (N x 77 x width): the prompts' per-token features mixed by ``probs`` (N x labels)."""
        tokens = text_tokens(self.clip, tokenize(self.prompts, probs.device))
        return torch.einsum("nl,ltc->ntc", probs, tokens)

    def prompt_condition(self, texts: Sequence[str]) -> torch.Tensor:
        """Text condition (N x 77 x width) of free-text prompts, one per image (user-chosen restoration)."""
        return text_tokens(self.clip, tokenize(texts, self.clip.logit_scale.device))


def fidelity_loss(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ``1 - sum_i sqrt(p_i g_i)`` (N x labels probabilities and targets)."""
    return (1.0 - torch.sqrt(probs * target + FIDELITY_EPS).sum(dim=1)).mean()


def biqa_loss(biqa: BIQA, degraded: torch.Tensor, labels: torch.Tensor, clean: torch.Tensor,
              constraint_weight: float = 1.0) -> torch.Tensor:
    """AutoDIR's BIQA objective: fidelity on ``degraded`` (labels: N int indices into ``biqa.labels``) plus
    ``constraint_weight`` times the semantic-agnostic constraint on ``clean`` (target: the ``no`` label)."""
    n = len(biqa.labels)
    target = F.one_hot(labels, n).to(degraded.dtype)
    clean_target = F.one_hot(torch.full_like(labels, biqa.clean_index), n).to(clean.dtype)
    return (fidelity_loss(biqa.probabilities(degraded), target)
            + constraint_weight * fidelity_loss(biqa.probabilities(clean), clean_target))


def image_side_parameters(biqa: BIQA) -> list[nn.Parameter]:
    """The parameters AutoDIR fine-tunes: CLIP's image tower and logit scale (the text tower stays frozen)."""
    return [*biqa.clip.visual.parameters(), biqa.clip.logit_scale]


def finetune_step(biqa: BIQA, optimizer: torch.optim.Optimizer, degraded: torch.Tensor, labels: torch.Tensor,
                  clean: torch.Tensor, constraint_weight: float = 1.0) -> float:
    """One optimizer step of :func:`biqa_loss`; returns the loss before the step."""
    biqa.train()
    optimizer.zero_grad(set_to_none=True)
    loss = biqa_loss(biqa, degraded, labels, clean, constraint_weight)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def zero_shot_biqa(device: str | torch.device = "cpu") -> BIQA:
    """The BIQA module on OpenAI's CLIP ViT-L/14 (weights resolved; WeightsUnavailable when missing)."""
    path = resolve(CLIP_VIT_L14)
    biqa = BIQA(VIT_L14)
    load_clip(biqa.clip, path)
    return biqa.eval().to(device)
