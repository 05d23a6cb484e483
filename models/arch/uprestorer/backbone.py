"""The noise predictor of Up-Restorer: a hierarchical encoder-decoder of Diffusion Transformer blocks (C2F-DFT's
DFT, Wang et al. 2023) whose attention queries are shifted by learnable queries scaled by a learnable beta.

Layout (C2F-DFT's ``DFT``): a 3x3 patch embedding of the 6-channel input ``[y, x_t]``; four levels of widths
C, 2C, 4C, 8C with ``num_blocks`` blocks and ``heads`` heads; pixel-(un)shuffle resampling; 1x1 channel
reductions after the skip concatenations at levels 3 and 2; decoder level 1 at width 2C; a 3x3 output conv
whose result is added to ``x_t`` (the last three input channels). A block is
``x + MDTA(LN(x) + e)`` then ``x + FFN(LN(x) + e)`` with ``e = swish(sinusoidal(t))`` at the block's width and
a plain 1x1-GELU-1x1 feed-forward of ``ffn_factor`` expansion. Sides must be multiples of 8.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from models.arch.promptir.blocks import MDTA, ChannelLayerNorm, PatchEmbed, Resample

QUERY_INIT_STD = 0.02
"""Standard deviation of the initial learnable queries (beta starts at 1)."""


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of the time steps ``t`` (N,) -> (N, dim): sines then cosines of
    ``t * 10000^(-i / (dim/2 - 1))`` (the DDPM form), zero-padded when ``dim`` is odd."""
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32, device=t.device) * -(math.log(10000) / (half - 1)))
    args = t.float()[:, None] * freqs[None]
    return F.pad(torch.cat([torch.sin(args), torch.cos(args)], dim=1), (0, dim % 2))


class QueryMDTA(MDTA):
    """MDTA whose query map gets ``beta * query`` added: a learnable query per channel (C, 1, 1), broadcast over
    the pixels, scaled by one learnable scalar ``beta``."""

    def __init__(self, dim: int, heads: int, bias: bool):
        super().__init__(dim, heads, bias)
        self.query = nn.Parameter(torch.randn(1, dim, 1, 1) * QUERY_INIT_STD)
        self.beta = nn.Parameter(torch.ones(()))

    def queries(self, q: torch.Tensor) -> torch.Tensor:
        return q + self.beta * self.query


class FeedForward(nn.Module):
    """1x1 conv to ``ffn_factor * dim`` channels, GELU, 1x1 conv back (C2F-DFT's FFN)."""

    def __init__(self, dim: int, ffn_factor: float, bias: bool):
        super().__init__()
        hidden = int(dim * ffn_factor)
        self.project_in = nn.Conv2d(dim, hidden, 1, bias=bias)
        self.project_out = nn.Conv2d(hidden, dim, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.project_out(F.gelu(self.project_in(x)))


class DiffusionTransformerBlock(nn.Module):
    """``x + attn(LN(x) + e)`` then ``x + ffn(LN(x) + e)``; ``e`` (N, C, 1, 1) is the block's time embedding."""

    def __init__(self, dim: int, heads: int, ffn_factor: float, bias: bool, norm: str):
        super().__init__()
        self.norm1 = ChannelLayerNorm(dim, norm)
        self.attn = QueryMDTA(dim, heads, bias)
        self.norm2 = ChannelLayerNorm(dim, norm)
        self.ffn = FeedForward(dim, ffn_factor, bias)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x) + emb)
        return x + self.ffn(self.norm2(x) + emb)


class Level(nn.ModuleList):
    """``depth`` diffusion transformer blocks of one width sharing the time embedding."""

    def __init__(self, dim: int, heads: int, depth: int, ffn_factor: float, bias: bool, norm: str):
        super().__init__([DiffusionTransformerBlock(dim, heads, ffn_factor, bias, norm) for _ in range(depth)])
        self.dim = dim

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        emb = F.silu(timestep_embedding(t, self.dim))[:, :, None, None].to(x.dtype)
        for block in self:
            x = block(x, emb)
        return x


class DiffusionTransformer(nn.Module):
    """Noise predictor: ``[y, x_t]`` (N, 2 * channels, H, W), time steps ``t`` (N,) -> predicted noise
    (N, channels, H, W); H, W multiples of 8."""

    def __init__(self, dim: int, num_blocks: Sequence[int], heads: Sequence[int], ffn_factor: float, bias: bool,
                 layer_norm: str, channels: int = 3):
        super().__init__()

        def level(width: int, i: int) -> Level:
            return Level(width, heads[i], num_blocks[i], ffn_factor, bias, layer_norm)

        d = dim
        self.channels = channels
        self.patch_embed = PatchEmbed(2 * channels, d)
        self.encoder_level1 = level(d, 0)
        self.down1_2 = Resample(d, down=True)
        self.encoder_level2 = level(2 * d, 1)
        self.down2_3 = Resample(2 * d, down=True)
        self.encoder_level3 = level(4 * d, 2)
        self.down3_4 = Resample(4 * d, down=True)
        self.latent = level(8 * d, 3)
        self.up4_3 = Resample(8 * d, down=False)
        self.reduce_chan_level3 = nn.Conv2d(8 * d, 4 * d, 1, bias=bias)
        self.decoder_level3 = level(4 * d, 2)
        self.up3_2 = Resample(4 * d, down=False)
        self.reduce_chan_level2 = nn.Conv2d(4 * d, 2 * d, 1, bias=bias)
        self.decoder_level2 = level(2 * d, 1)
        self.up2_1 = Resample(2 * d, down=False)
        self.decoder_level1 = level(2 * d, 0)
        self.output = nn.Conv2d(2 * d, channels, 3, padding=1, bias=bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        enc1 = self.encoder_level1(self.patch_embed(x), t)
        enc2 = self.encoder_level2(self.down1_2(enc1), t)
        enc3 = self.encoder_level3(self.down2_3(enc2), t)
        z = self.latent(self.down3_4(enc3), t)
        z = self.decoder_level3(self.reduce_chan_level3(torch.cat([self.up4_3(z), enc3], dim=1)), t)
        z = self.decoder_level2(self.reduce_chan_level2(torch.cat([self.up3_2(z), enc2], dim=1)), t)
        z = self.decoder_level1(torch.cat([self.up2_1(z), enc1], dim=1), t)
        return self.output(z) + x[:, -self.channels:]
