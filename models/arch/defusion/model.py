"""Defusion (CVPR 2025): visual-instructed degradation diffusion for all-in-one restoration, on diffusers.

A visual instruction (the degradation shown on a visual ground) becomes degradation tokens
(:mod:`~models.arch.defusion.tokenizer`); a diffusers ``UNet2DConditionModel`` denoises in degradation space,
``y0 = LQ - HQ``, attending to the tokens through the instruction adapter (:mod:`~models.arch.defusion.adapter`)
and conditioned on the degraded image through the restoration bridge (:mod:`~models.arch.defusion.bridge`).
Sampling: diffusers ``DDIMScheduler`` (predicting ``y0``, trailing timesteps, eta 0), 4 steps by default,
from noise drawn with a generator seeded by ``seed``; the output is ``LQ - y0`` clamped to [0,1].

``forward(x, instruction)``: x Nx3xHxW in [0,1] (sides multiples of 2**(len(unet_channels) - 1)),
instruction Nx3xSxS in [0,1] (resized to ``instruction_size`` when S differs) -> Nx3xHxW.
The clean ground (``ground``, ``instruction_size``, ``ground_seed``; :attr:`Defusion.instruction_spec`) must be
the one the instructions are drawn on (the runner's ``inputs: {instruction: {ground, size, ground_seed}}``).

Training (the paper's order): the tokenizer first, with its critic (:mod:`~models.arch.defusion.stage`, registry
entry ``defusion-tokenizer``), then the rest with the tokenizer frozen (:meth:`Defusion.diffusion_loss`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from models.arch.common import detect_size, draw_noise, draw_timesteps
from models.arch.defusion.adapter import InstructionProjection, install_adapter
from models.arch.defusion.bridge import RestorationBridge
from models.arch.defusion.tokenizer import DegradationTokenizer
from restorebench.errors import InputError

SIZES = {
    "paper": {},
    "small": {"levels": (32, 32, 64, 64, 128), "codebook_size": 256, "codebook_dim": 64, "tokenizer_layers": 1,
              "tokenizer_groups": 8, "instruction_size": 112, "unet_channels": (32, 64, 128), "unet_layers": 1,
              "context_dim": 128, "heads": 4, "unet_groups": 8, "bridge_channels": (16, 32, 64)},
    "tiny": {"levels": (8, 16, 16, 32, 32), "codebook_size": 128, "codebook_dim": 32, "tokenizer_layers": 1,
             "tokenizer_groups": 8, "instruction_size": 112, "unet_channels": (16, 32, 48), "unet_layers": 1,
             "context_dim": 48, "heads": 4, "unet_groups": 8, "bridge_channels": (16, 32, 48)},
}
"""Named configurations: ``paper`` follows the paper's tokenizer (channel levels, codebook, 224 px
instructions) with a chosen U-Net; ``small`` (7.9 M parameters) is sized to train on a CPU; ``tiny`` (1.14 M,
tokenizer included: a float32 file under 5 MB) to be shipped with the project."""


class Defusion(nn.Module):
    """Tokenizer + instruction adapter + bridge + U-Net + DDIM sampler (see the module docstring)."""

    def __init__(self, levels: tuple[int, ...] = (128, 128, 256, 256, 512), codebook_size: int = 1024,
                 codebook_dim: int = 256, tokenizer_layers: int = 2, tokenizer_groups: int = 32,
                 instruction_size: int = 224, unet_channels: tuple[int, ...] = (128, 256, 512, 512),
                 unet_layers: int = 2, context_dim: int = 512, heads: int = 8, unet_groups: int = 32,
                 bridge_channels: tuple[int, ...] = (32, 64, 128, 128), n_null: int = 4, steps: int = 4,
                 ground: str = "te42", ground_seed: int = 0, seed: int = 0, train_timesteps: int = 1000):
        super().__init__()
        from diffusers import DDIMScheduler, UNet2DConditionModel

        if len(bridge_channels) != len(unet_channels):
            raise InputError(f"defusion: bridge_channels {bridge_channels} needs one width per U-Net level "
                             f"({len(unet_channels)})")
        n = len(unet_channels)
        self.tokenizer = DegradationTokenizer(tuple(levels), codebook_size, codebook_dim, tokenizer_layers,
                                              tokenizer_groups, instruction_size, ground, ground_seed)
        self.unet = UNet2DConditionModel(
            in_channels=3, out_channels=3, block_out_channels=tuple(unet_channels), layers_per_block=unet_layers,
            down_block_types=("DownBlock2D",) + ("CrossAttnDownBlock2D",) * (n - 1),
            up_block_types=("CrossAttnUpBlock2D",) * (n - 1) + ("UpBlock2D",),
            cross_attention_dim=context_dim, attention_head_dim=heads, norm_num_groups=unet_groups)
        install_adapter(self.unet, n_null)
        self.context = InstructionProjection(codebook_dim, context_dim, n_null)
        widths = [*unet_channels, unet_channels[-1], *reversed(unet_channels)]
        self.bridge = RestorationBridge(tuple(bridge_channels), widths, groups=min(8, min(bridge_channels)))
        self.bridge.hook(self.unet)
        self.scheduler = DDIMScheduler(num_train_timesteps=train_timesteps, prediction_type="sample",
                                       clip_sample=True, clip_sample_range=1.0, timestep_spacing="trailing")
        self.steps, self.seed = steps, seed

    @property
    def instruction_spec(self) -> dict:
        """The ground its instructions are drawn on, as registry ``inputs.instruction``: {ground, size, ground_seed}."""
        return self.tokenizer.instruction_spec

    def condition(self, instruction: torch.Tensor) -> torch.Tensor:
        """The U-Net context (N, n_null + tokens, context_dim) of instructions Nx3xSxS in [0,1]."""
        with torch.no_grad():  # the tokenizer is trained first, then frozen
            tokens = self.tokenizer.tokens(instruction)
        return self.context(tokens)

    def denoise(self, y_t: torch.Tensor, t: torch.Tensor, feats: list[torch.Tensor],
                context: torch.Tensor) -> torch.Tensor:
        """The U-Net's estimate of ``y0 = LQ - HQ`` from the noisy residual ``y_t`` at timesteps ``t``."""
        with self.bridge.inject(feats):
            return self.unet(y_t, t, encoder_hidden_states=context).sample

    def diffusion_loss(self, lq: torch.Tensor, hq: torch.Tensor, instruction: torch.Tensor,
                       generators: Sequence[torch.Generator]) -> torch.Tensor:
        """MSE between the predicted and the true degradation ``LQ - HQ`` (batches Nx3xHxW in [0,1]); sample i
        draws its time step (uniform) and noise from ``generators[i]`` (CPU generators)."""
        y0 = lq - hq
        t = draw_timesteps(generators, self.scheduler.config.num_train_timesteps, lq.device)
        noise = draw_noise(generators, y0)
        y_t = self.scheduler.add_noise(y0, noise, t)
        return F.mse_loss(self.denoise(y_t, t, self.bridge.features(lq), self.condition(instruction)), y0)

    def sample(self, lq: torch.Tensor, instruction: torch.Tensor, steps: int | None = None) -> torch.Tensor:
        """Restore ``lq`` with ``steps`` DDIM steps (default ``self.steps``): ``LQ - y0`` clamped to [0,1]."""
        gen = torch.Generator(device=lq.device).manual_seed(self.seed)
        context, feats = self.condition(instruction), self.bridge.features(lq)
        self.scheduler.set_timesteps(steps or self.steps, device=lq.device)
        y = torch.randn(lq.shape, generator=gen, device=lq.device, dtype=lq.dtype)
        for t in self.scheduler.timesteps:
            y0 = self.denoise(y, t.expand(lq.shape[0]), feats, context)
            y = self.scheduler.step(y0, t, y, eta=0.0).prev_sample
        return (lq - y).clamp(0.0, 1.0)

    def forward(self, x: torch.Tensor, instruction: torch.Tensor | None = None) -> torch.Tensor:
        if instruction is None:
            raise InputError("defusion needs a visual instruction: instruction= (an Nx3xSxS image in [0,1]); "
                             "benchmark suites make one per image from its recipe")
        return self.sample(x, instruction)


def defusion(**hparams) -> Defusion:
    """A Defusion network; defaults are the ``paper`` size (see :data:`SIZES`)."""
    return Defusion(**hparams)


def detect(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """The :data:`SIZES` entry whose weights these are (attention heads and the ground are not readable off them)."""
    return detect_size(state_dict, defusion, SIZES)
