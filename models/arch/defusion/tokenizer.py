"""Defusion's degradation tokenizer: a VQ autoencoder (diffusers ``VQModel``) that turns a visual instruction into
degradation tokens, and its training losses.

The instruction (a degradation shown on a visual ground, Nx3xSxS in [0,1]) and the clean ground are encoded;
the clean ground's embedding is subtracted from the instruction's, and the difference is quantized with the
codebook: the tokens describe the degradation, not the ground. The decoder renders the quantized difference
added back to the clean ground's embedding, which trains the codebook to hold what the degradation does.

Shapes: ``tokens(instruction, clean)`` -> (N, (S/2**(L-1))**2, codebook dim) for L channel levels
(paper: 224 px, five levels -> 14x14 = 196 tokens of 256).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


class DegradationTokenizer(nn.Module):
    """VQ tokenizer of visual instructions; ``levels`` are the encoder's channel widths, coarsest last."""

    def __init__(self, levels: tuple[int, ...] = (128, 128, 256, 256, 512), codebook_size: int = 1024,
                 codebook_dim: int = 256, layers_per_block: int = 2, norm_groups: int = 32):
        super().__init__()
        from diffusers import VQModel

        self.vq = VQModel(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * len(levels),
                          up_block_types=("UpDecoderBlock2D",) * len(levels), block_out_channels=tuple(levels),
                          layers_per_block=layers_per_block, latent_channels=codebook_dim,
                          num_vq_embeddings=codebook_size, vq_embed_dim=codebook_dim, norm_num_groups=norm_groups)
        self.codebook_dim = codebook_dim

    def embed(self, img: torch.Tensor) -> torch.Tensor:
        """Continuous embedding (N, D, s, s) of images in [0,1] (the encoder sees [-1,1])."""
        return self.vq.encode(img * 2 - 1).latents

    def quantize(self, instruction: torch.Tensor, clean: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(quantized degradation code (N, D, s, s), VQ loss (scalar), clean ground's embedding)."""
        base = self.embed(clean)
        code, vq_loss, _ = self.vq.quantize(self.embed(instruction) - base)
        return code, vq_loss, base

    def tokens(self, instruction: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
        """Degradation tokens (N, s*s, D) of instructions against their clean ground."""
        code, _, _ = self.quantize(instruction, clean)
        return code.flatten(2).transpose(1, 2)

    def reconstruct(self, instruction: torch.Tensor, clean: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(the instruction rebuilt from its code and the clean ground, in [-1,1] units; VQ loss)."""
        code, vq_loss, base = self.quantize(instruction, clean)
        return self.vq.decode(code + base, force_not_quantize=True).sample, vq_loss


class PatchDiscriminator(nn.Module):
    """A PatchGAN critic for the tokenizer's adversarial term: Nx3xHxW in [-1,1] -> Nx1xhxw logits."""

    def __init__(self, width: int = 64, layers: int = 3):
        super().__init__()
        mods: list[nn.Module] = [nn.Conv2d(3, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        ch = width
        for i in range(1, layers):
            nxt = width * min(2 ** i, 8)
            mods += [nn.Conv2d(ch, nxt, 4, 2, 1), nn.GroupNorm(min(32, nxt // 4), nxt), nn.LeakyReLU(0.2)]
            ch = nxt
        mods.append(nn.Conv2d(ch, 1, 4, 1, 1))
        self.net = nn.Sequential(*mods)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


Perceptual = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""(prediction, target) Nx3xHxW in [-1,1] -> a scalar perceptual distance (LPIPS in the paper)."""


def tokenizer_loss(tok: DegradationTokenizer, instruction: torch.Tensor, clean: torch.Tensor,
                   critic: PatchDiscriminator | None = None, perceptual: Perceptual | None = None,
                   weights: dict[str, float] | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """The tokenizer's generator loss: MSE + perceptual + VQ (+ hinge adversarial ``-D(x_hat)`` with a critic).

    ``weights``: per term (``mse``, ``perceptual``, ``vq``, ``adversarial``; defaults 1, 1, 1, 0.1).
    Returns (total, the terms as floats). Train the critic with :func:`critic_loss`.
    """
    w = {"mse": 1.0, "perceptual": 1.0, "vq": 1.0, "adversarial": 0.1, **(weights or {})}
    target = instruction * 2 - 1
    rec, vq_loss = tok.reconstruct(instruction, clean)
    terms = {"mse": F.mse_loss(rec, target), "vq": vq_loss}
    if perceptual is not None:
        terms["perceptual"] = perceptual(rec, target)
    if critic is not None:
        terms["adversarial"] = -critic(rec).mean()
    total = sum(w[k] * v for k, v in terms.items())
    return total, {k: float(v.detach()) for k, v in terms.items()}


def critic_loss(tok: DegradationTokenizer, critic: PatchDiscriminator, instruction: torch.Tensor,
                clean: torch.Tensor) -> torch.Tensor:
    """Hinge loss of the critic: ``relu(1 - D(real)) + relu(1 + D(fake))``, the fake detached."""
    with torch.no_grad():
        rec, _ = tok.reconstruct(instruction, clean)
    return F.relu(1 - critic(instruction * 2 - 1)).mean() + F.relu(1 + critic(rec)).mean()
