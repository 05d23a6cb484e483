"""Defusion's degradation tokenizer: a VQ autoencoder (diffusers ``VQModel``) that turns a visual instruction into
degradation tokens, and its training losses.

The instruction (a degradation shown on the tokenizer's visual ground, Nx3xSxS in [0,1]) and the clean ground
are encoded; the clean ground's embedding is subtracted from the instruction's, and the difference is quantized
with the codebook: the tokens describe the degradation, not the ground. The decoder renders the quantized
difference added back to the clean ground's embedding, which trains the codebook to hold what the degradation
does. The clean ground is ``make_ground(ground, instruction_size, ground_seed)`` (:mod:`degrade.grounds`), held
as a buffer (not saved: it is rebuilt from those three settings).

Shapes: ``tokens(instruction)`` -> (N, (S/2**(L-1))**2, codebook dim) for L channel levels and
S = ``instruction_size`` (paper: 224 px, five levels -> 14x14 = 196 tokens of 256).

Training (:func:`tokenizer_loss`, :func:`critic_loss`): the generator's adversarial term sees the critic with
detached parameters and the critic's hinge loss sees detached reconstructions, so the sum of the two losses can
be minimized by one optimizer over both networks, each moved by its own term only.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call


class DegradationTokenizer(nn.Module):
    """VQ tokenizer of visual instructions drawn on one clean ground; ``levels`` are the encoder's channel widths,
    coarsest last; ``tokenizer_layers`` ResNet layers per level, GroupNorm of ``tokenizer_groups``."""

    def __init__(self, levels: tuple[int, ...] = (128, 128, 256, 256, 512), codebook_size: int = 1024,
                 codebook_dim: int = 256, tokenizer_layers: int = 2, tokenizer_groups: int = 32,
                 instruction_size: int = 224, ground: str = "te42", ground_seed: int = 0):
        super().__init__()
        from diffusers import VQModel

        from degrade.grounds import make_ground

        self.vq = VQModel(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * len(levels),
                          up_block_types=("UpDecoderBlock2D",) * len(levels), block_out_channels=tuple(levels),
                          layers_per_block=tokenizer_layers, latent_channels=codebook_dim,
                          num_vq_embeddings=codebook_size, vq_embed_dim=codebook_dim,
                          norm_num_groups=tokenizer_groups)
        self.codebook_dim = codebook_dim
        self.instruction_size, self.ground, self.ground_seed = instruction_size, ground, ground_seed
        clean = torch.from_numpy(make_ground(ground, instruction_size, ground_seed)).permute(2, 0, 1)[None]
        self.register_buffer("clean", clean.contiguous(), persistent=False)

    @property
    def instruction_spec(self) -> dict:
        """The ground its instructions are drawn on, as registry ``inputs.instruction``: {ground, size, ground_seed}."""
        return {"ground": self.ground, "size": self.instruction_size, "ground_seed": self.ground_seed}

    def fit(self, instruction: torch.Tensor) -> torch.Tensor:
        """Instructions Nx3xhxw in [0,1] at ``instruction_size`` (resized bilinearly, antialiased, when not)."""
        s = self.instruction_size
        if instruction.shape[-2:] == (s, s):
            return instruction
        return F.interpolate(instruction, size=(s, s), mode="bilinear", antialias=True, align_corners=False)

    def embed(self, img: torch.Tensor) -> torch.Tensor:
        """Continuous embedding (N, D, s, s) of images in [0,1] (the encoder sees [-1,1])."""
        return self.vq.encode(img * 2 - 1).latents

    def quantize(self, instruction: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(quantized degradation code (N, D, s, s), VQ loss (scalar), clean ground's embedding (1, D, s, s))
        of instructions at ``instruction_size``."""
        base = self.embed(self.clean)
        code, vq_loss, _ = self.vq.quantize(self.embed(instruction) - base)
        return code, vq_loss, base

    def tokens(self, instruction: torch.Tensor) -> torch.Tensor:
        """Degradation tokens (N, s*s, D) of instructions Nx3xSxS in [0,1] (resized to ``instruction_size``)."""
        code, _, _ = self.quantize(self.fit(instruction))
        return code.flatten(2).transpose(1, 2)

    def reconstruct(self, instruction: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(instructions at ``instruction_size`` rebuilt from their code and the clean ground, in [-1,1] units;
        VQ loss)."""
        code, vq_loss, base = self.quantize(instruction)
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


def frozen(critic: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """``critic`` as a function of its input alone: evaluated with detached parameters, so a loss through it
    sends gradients to the input but moves no weight of the critic."""
    params = {k: v.detach() for k, v in critic.named_parameters()}
    return lambda x: functional_call(critic, params, (x,))


def tokenizer_loss(tok: DegradationTokenizer, instruction: torch.Tensor, critic: nn.Module | None = None,
                   perceptual: Perceptual | None = None, weights: dict[str, float] | None = None
                   ) -> tuple[torch.Tensor, dict[str, float], torch.Tensor]:
    """The tokenizer's generator loss on instructions Nx3xSxS in [0,1] at ``instruction_size``: MSE + perceptual
    + VQ (+ hinge adversarial ``-D(x_hat)`` with a critic, evaluated with detached parameters: this term trains
    the tokenizer only).

    ``weights``: per term (``mse``, ``perceptual``, ``vq``, ``adversarial``; defaults 1, 1, 1, 0.1).
    Returns (total, the terms as floats, the reconstruction in [-1,1]). Train the critic with :func:`critic_loss`
    on that reconstruction.
    """
    w = {"mse": 1.0, "perceptual": 1.0, "vq": 1.0, "adversarial": 0.1, **(weights or {})}
    target = instruction * 2 - 1
    rec, vq_loss = tok.reconstruct(instruction)
    terms = {"mse": F.mse_loss(rec, target), "vq": vq_loss}
    if perceptual is not None:
        terms["perceptual"] = perceptual(rec, target)
    if critic is not None:
        terms["adversarial"] = -frozen(critic)(rec).mean()
    total = sum(w[k] * v for k, v in terms.items())
    return total, {k: float(v.detach()) for k, v in terms.items()}, rec


def critic_loss(critic: nn.Module, instruction: torch.Tensor, rec: torch.Tensor) -> torch.Tensor:
    """Hinge loss of the critic, ``relu(1 - D(real)) + relu(1 + D(fake))``: real instructions Nx3xSxS in [0,1],
    fakes the reconstructions ``rec`` in [-1,1] (detached here: this term trains the critic only)."""
    return F.relu(1 - critic(instruction * 2 - 1)).mean() + F.relu(1 + critic(rec.detach())).mean()
