"""Diff-Restorer's trainable modules around a frozen Stable Diffusion: prompt processor, image-guided control
module with its training-only decoder, and the degradation-aware VAE decoder.

Degradation modulation everywhere is channel-wise: features ``h`` (N x C x H x W) become
``h * sigmoid(Linear(d))`` for the degradation embedding ``d`` (N x D).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def zero_conv(cin: int, cout: int) -> nn.Conv2d:
    """A 1x1 convolution initialized to zero (the added path starts as a no-op)."""
    conv = nn.Conv2d(cin, cout, 1)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class Modulation(nn.Module):
    """``h * sigmoid(Linear(d))``, one gate per channel."""

    def __init__(self, degradation_dim: int, channels: int):
        super().__init__()
        self.linear = nn.Linear(degradation_dim, channels)

    def forward(self, h: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
        return h * torch.sigmoid(self.linear(d))[:, :, None, None]


class PromptProcessor(nn.Module):
    """CLIP image embedding (N x E) -> semantic tokens (N x T x context) for the UNet's cross-attention and a
    degradation embedding (N x D), by two MLP branches."""

    def __init__(self, embed_dim: int, context_dim: int, num_tokens: int, hidden: int, degradation_dim: int):
        super().__init__()
        self.num_tokens, self.context_dim = num_tokens, context_dim
        self.semantic = nn.Sequential(nn.Linear(embed_dim, hidden), nn.GELU(), nn.Linear(hidden, num_tokens * context_dim))
        self.semantic_norm = nn.LayerNorm(context_dim)
        self.degradation = nn.Sequential(nn.Linear(embed_dim, hidden), nn.GELU(), nn.Linear(hidden, degradation_dim))

    def forward(self, embedding: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = self.semantic(embedding).view(-1, self.num_tokens, self.context_dim)
        return self.semantic_norm(tokens), self.degradation(embedding)


class ModulatedResBlock(nn.Module):
    """Residual block (GroupNorm, SiLU, 3x3 conv, twice) whose output is degradation-modulated."""

    def __init__(self, cin: int, cout: int, degradation_dim: int, groups: int):
        super().__init__()
        self.body = nn.Sequential(nn.GroupNorm(groups, cin), nn.SiLU(), nn.Conv2d(cin, cout, 3, padding=1),
                                  nn.GroupNorm(groups, cout), nn.SiLU(), nn.Conv2d(cout, cout, 3, padding=1))
        self.skip = nn.Identity() if cin == cout else nn.Conv2d(cin, cout, 1)
        self.modulation = Modulation(degradation_dim, cout)

    def forward(self, x: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
        return self.modulation(self.skip(x) + self.body(x), d)


def unet_residual_slots(unet_config: dict) -> list[tuple[int, int]]:
    """(level, channels) of each skip feature a diffusers UNet's down path stores (``down_block_res_samples``):
    the input convolution, every residual block, every downsampler (which sits one level lower)."""
    chs = unet_config["block_out_channels"]
    slots = [(0, chs[0])]
    for i, c in enumerate(chs):
        slots += [(i, c)] * unet_config["layers_per_block"]
        if i < len(chs) - 1:
            slots.append((i + 1, c))
    return slots


class ControlModule(nn.Module):
    """Image-guided control: the LQ latent -> one modulated residual stage per UNet level -> zero-initialized
    1x1 convolutions giving every down-path skip residual and the middle-block residual of the UNet."""

    def __init__(self, latent_channels: int, unet_config: dict, degradation_dim: int, blocks: int = 1):
        super().__init__()
        chs, groups = unet_config["block_out_channels"], unet_config["norm_num_groups"]
        self.conv_in = nn.Conv2d(latent_channels, chs[0], 3, padding=1)
        self.stages = nn.ModuleList(
            nn.ModuleList(ModulatedResBlock(chs[max(i - 1, 0)] if b == 0 else c, c, degradation_dim, groups)
                          for b in range(blocks)) for i, c in enumerate(chs))
        self.downs = nn.ModuleList(nn.Conv2d(c, c, 3, stride=2, padding=1) for c in chs[:-1])
        self.slots = unet_residual_slots(unet_config)
        self.outs = nn.ModuleList(zero_conv(chs[level], c) for level, c in self.slots)
        self.mid_out = zero_conv(chs[-1], chs[-1])

    def features(self, latent: torch.Tensor, d: torch.Tensor) -> list[torch.Tensor]:
        """One feature map per UNet level (level 0 at the latent's resolution)."""
        h = self.conv_in(latent)
        feats = []
        for i, stage in enumerate(self.stages):
            if i > 0:
                h = self.downs[i - 1](h)
            for block in stage:
                h = block(h, d)
            feats.append(h)
        return feats

    def forward(self, latent: torch.Tensor, d: torch.Tensor) -> tuple[list[torch.Tensor], tuple, torch.Tensor]:
        """(level features, down-path residuals, middle residual) for the LQ latent and embedding ``d``."""
        feats = self.features(latent, d)
        down = tuple(out(feats[level]) for out, (level, _) in zip(self.outs, self.slots))
        return feats, down, self.mid_out(feats[-1])


class ControlDecoder(nn.Module):
    """Training only: the clean image's latent predicted back from the control module's level-0 feature, so the
    control features keep the image content (L2 reconstruction loss)."""

    def __init__(self, channels: int, latent_channels: int, groups: int):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.GroupNorm(groups, channels),
                                 nn.SiLU(), nn.Conv2d(channels, latent_channels, 3, padding=1))

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        return self.net(feature)


class DegradationAwareDecoder(nn.Module):
    """The VAE decoder with, before each up block, the LQ image's VAE-encoder features of the same resolution
    concatenated and fused: ``h + sigmoid(Linear(d)) * fuse([h, f_lq])`` (``fuse`` a zero-initialized 1x1 conv,
    so training starts from the plain VAE decoder). The VAE itself is passed in, not owned."""

    def __init__(self, vae_config: dict, degradation_dim: int):
        super().__init__()
        chs = vae_config["block_out_channels"]
        n = len(chs)
        decoder_ch = [chs[-1]] + [chs[n - j] for j in range(1, n)]
        encoder_ch = [chs[max(n - 2 - j, 0)] for j in range(n)]
        self.fuse = nn.ModuleList(zero_conv(dc + ec, dc) for dc, ec in zip(decoder_ch, encoder_ch))
        self.modulation = nn.ModuleList(Modulation(degradation_dim, dc) for dc in decoder_ch)

    @staticmethod
    def encoder_features(vae: Any, lq: torch.Tensor) -> list[torch.Tensor]:
        """The input of every VAE-encoder down block for an LQ batch in [0,1] (level k at 1/2^k resolution)."""
        enc = vae.encoder
        h = enc.conv_in(2.0 * lq - 1.0)
        feats = []
        for block in enc.down_blocks:
            feats.append(h)
            h = block(h)
        return feats

    def forward(self, vae: Any, z: torch.Tensor, lq: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
        """Image in [0,1] (unclamped) of the diffusion latent ``z`` (scaled), guided by ``lq`` and ``d``."""
        feats = self.encoder_features(vae, lq)
        dec = vae.decoder
        h = z / vae.config.scaling_factor
        if vae.post_quant_conv is not None:
            h = vae.post_quant_conv(h)
        h = dec.mid_block(dec.conv_in(h), None)
        for j, up in enumerate(dec.up_blocks):
            f = feats[len(feats) - 1 - j]
            h = h + self.modulation[j](self.fuse[j](torch.cat([h, f], dim=1)), d)
            h = up(h, None)
        h = dec.conv_out(dec.conv_act(dec.conv_norm_out(h)))
        return (h + 1.0) / 2.0

