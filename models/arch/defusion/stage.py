"""Defusion's first training stage: the degradation tokenizer with its PatchGAN critic (registry entry
``defusion-tokenizer``).

The paper trains the tokenizer first, on visual instructions alone, then the diffusion model with the tokenizer
frozen. :class:`TokenizerStage` holds the two networks of the first stage; its ``tokenizer.*`` weights have the
names and shapes of a :class:`~models.arch.defusion.model.Defusion` of the same size, which loads them from the
stage's final weights (``restorebench train --model defusion --init RUN/final.pth``).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from models.arch.common import detect_size
from models.arch.defusion.model import SIZES as MODEL_SIZES
from models.arch.defusion.tokenizer import (
    DegradationTokenizer,
    PatchDiscriminator,
    Perceptual,
    critic_loss,
    tokenizer_loss,
)

TOKENIZER_ARGS = ("levels", "codebook_size", "codebook_dim", "tokenizer_layers", "tokenizer_groups",
                  "instruction_size", "ground", "ground_seed")
"""The hyper-parameters of a Defusion that its tokenizer (and its ground) takes."""
CRITICS = {"paper": {"critic_width": 64, "critic_layers": 3}, "small": {"critic_width": 32, "critic_layers": 3},
           "tiny": {"critic_width": 16, "critic_layers": 3}}
SIZES = {name: {**{k: v for k, v in args.items() if k in TOKENIZER_ARGS}, **CRITICS[name]}
         for name, args in MODEL_SIZES.items()}
"""The tokenizer of each Defusion size (:data:`models.arch.defusion.SIZES`) and a critic for it (the paper's
PatchGAN: 3 layers of width 64; narrower at the smaller sizes)."""


class TokenizerStage(nn.Module):
    """The tokenizer (``tokenizer``, keyword arguments of :class:`DegradationTokenizer`) and its critic (``critic``)."""

    def __init__(self, critic_width: int = 64, critic_layers: int = 3, **tokenizer):
        super().__init__()
        self.tokenizer = DegradationTokenizer(**tokenizer)
        self.critic = PatchDiscriminator(critic_width, critic_layers)

    @property
    def instruction_spec(self) -> dict:
        """The ground its instructions are drawn on, as registry ``inputs.instruction``: {ground, size, ground_seed}."""
        return self.tokenizer.instruction_spec

    def losses(self, instruction: torch.Tensor, perceptual: Perceptual | None = None
               ) -> tuple[torch.Tensor, dict[str, float]]:
        """The tokenizer's loss plus the critic's on instructions Nx3xSxS in [0,1] (resized to
        ``instruction_size``); one backward pass trains each network by its own term only. Returns (total, terms)."""
        instruction = self.tokenizer.fit(instruction)
        gen, terms, rec = tokenizer_loss(self.tokenizer, instruction, self.critic, perceptual)
        critic = critic_loss(self.critic, instruction, rec)
        return gen + critic, {**terms, "critic": float(critic.detach())}

    def forward(self, instruction: torch.Tensor) -> torch.Tensor:
        """The tokenizer's reconstruction of instructions Nx3xSxS in [0,1]: Nx3xS'xS' in [0,1] (clamped) at
        ``instruction_size``, to see what the codebook keeps of a degradation."""
        rec, _ = self.tokenizer.reconstruct(self.tokenizer.fit(instruction))
        return ((rec + 1) / 2).clamp(0.0, 1.0)


def defusion_tokenizer(**hparams) -> TokenizerStage:
    """The tokenizer stage; defaults are the ``paper`` size (see :data:`SIZES`)."""
    return TokenizerStage(**hparams)


def detect(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """The :data:`SIZES` entry whose weights these are."""
    return detect_size(state_dict, defusion_tokenizer, SIZES)
