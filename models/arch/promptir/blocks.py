"""Restormer building blocks (Zamir et al. Restormer: Efficient Transformer for High-Resolution Image
Restoration. CVPR 2022), as PromptIR uses them, with the official parameter names.

* channel LayerNorm on every pixel (``body.weight`` [, ``body.bias``]; "BiasFree" divides by the standard
  deviation without centring);
* MDTA: multi-Dconv head transposed attention: 1x1 then depthwise 3x3 convs give Q, K, V; attention is taken
  across channels (a CxC map per head) on L2-normalized Q, K with a learned per-head temperature;
* GDFN: gated depthwise-conv feed-forward: ``project_out(gelu(a) * b)`` with ``a, b`` the two halves of a
  depthwise-convolved 1x1 expansion (``ffn_expansion_factor`` 2.66);
* a transformer block is ``x + MDTA(LN(x))`` then ``x + GDFN(LN(x))``;
* down/up-sampling: a 3x3 conv halving/doubling channels, then pixel-unshuffle/-shuffle by 2.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from restorebench.errors import InputError

NORM_EPS = 1e-5


class _NormParams(nn.Module):
    """Scale (and shift) of a channel LayerNorm; the parameters live here to keep the official names."""

    def __init__(self, dim: int, with_bias: bool):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        if with_bias:
            self.bias = nn.Parameter(torch.zeros(dim))
        else:
            self.register_parameter("bias", None)


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channels of an (N, C, H, W) map; ``kind`` "WithBias" or "BiasFree"."""

    def __init__(self, dim: int, kind: str = "WithBias"):
        super().__init__()
        if kind not in ("WithBias", "BiasFree"):
            raise InputError(f"LayerNorm type {kind!r}: expected 'WithBias' or 'BiasFree'")
        self.body = _NormParams(dim, kind == "WithBias")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var = x.var(dim=1, keepdim=True, unbiased=False)
        w = self.body.weight.view(1, -1, 1, 1)
        if self.body.bias is None:
            return x / torch.sqrt(var + NORM_EPS) * w
        mu = x.mean(dim=1, keepdim=True)
        return (x - mu) / torch.sqrt(var + NORM_EPS) * w + self.body.bias.view(1, -1, 1, 1)


class MDTA(nn.Module):
    """Multi-Dconv head transposed attention (channel attention per head)."""

    def __init__(self, dim: int, heads: int, bias: bool):
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv, self.qkv_dwconv = qkv_convs(dim, bias)
        self.project_out = nn.Conv2d(dim, dim, 1, bias=bias)

    def queries(self, q: torch.Tensor) -> torch.Tensor:
        """The (N, C, H, W) query map as attention uses it; subclasses may shift it (e.g. learned queries)."""
        return q

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1)
        return self.project_out(channel_attention(self.queries(q), k, v, self.temperature))


def qkv_convs(dim: int, bias: bool) -> tuple[nn.Conv2d, nn.Conv2d]:
    """The Q, K, V projection: a 1x1 conv to 3 x dim channels, then a depthwise 3x3 conv (built in that order)."""
    return (nn.Conv2d(dim, 3 * dim, 1, bias=bias),
            nn.Conv2d(3 * dim, 3 * dim, 3, padding=1, groups=3 * dim, bias=bias))


def channel_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, temperature: torch.Tensor) -> torch.Tensor:
    """Transposed (channel) self-attention of (N, C, H, W) maps split into ``temperature.shape[0]`` heads: a
    (C/heads x C/heads) map per head from L2-normalized Q, K rows, scaled by the head's temperature."""
    n, c, h, w = q.shape
    heads = temperature.shape[0]
    q, k, v = (t.reshape(n, heads, c // heads, h * w) for t in (q, k, v))
    q, k = F.normalize(q, dim=-1), F.normalize(k, dim=-1)
    attn = (q @ k.transpose(-2, -1) * temperature).softmax(dim=-1)
    return (attn @ v).reshape(n, c, h, w)


class GDFN(nn.Module):
    """Gated-Dconv feed-forward network."""

    def __init__(self, dim: int, expansion: float, bias: bool):
        super().__init__()
        hidden = int(dim * expansion)
        self.project_in = nn.Conv2d(dim, 2 * hidden, 1, bias=bias)
        self.dwconv = nn.Conv2d(2 * hidden, 2 * hidden, 3, padding=1, groups=2 * hidden, bias=bias)
        self.project_out = nn.Conv2d(hidden, dim, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.dwconv(self.project_in(x)).chunk(2, dim=1)
        return self.project_out(F.gelu(a) * b)


class TransformerBlock(nn.Module):
    """LN -> MDTA -> residual, LN -> GDFN -> residual."""

    def __init__(self, dim: int, heads: int, expansion: float, bias: bool, norm: str):
        super().__init__()
        self.norm1 = ChannelLayerNorm(dim, norm)
        self.attn = MDTA(dim, heads, bias)
        self.norm2 = ChannelLayerNorm(dim, norm)
        self.ffn = GDFN(dim, expansion, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


def transformer_stage(dim: int, heads: int, depth: int, expansion: float, bias: bool, norm: str) -> nn.Sequential:
    """``depth`` transformer blocks in a Sequential (keys ``N.norm1...``)."""
    return nn.Sequential(*[TransformerBlock(dim, heads, expansion, bias, norm) for _ in range(depth)])


class Resample(nn.Module):
    """3x3 conv then pixel-(un)shuffle by 2: ``down`` halves channels then unshuffles (C -> 2C at H/2),
    up doubles channels then shuffles (C -> C/2 at 2H). Key: ``body.0.weight``."""

    def __init__(self, dim: int, down: bool):
        super().__init__()
        shuffle: nn.Module = nn.PixelUnshuffle(2) if down else nn.PixelShuffle(2)
        self.body = nn.Sequential(nn.Conv2d(dim, dim // 2 if down else dim * 2, 3, padding=1, bias=False), shuffle)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class PatchEmbed(nn.Module):
    """Overlapped patch embedding: one 3x3 conv (key ``proj.weight``)."""

    def __init__(self, in_ch: int, dim: int, bias: bool = False):
        super().__init__()
        self.proj = nn.Conv2d(in_ch, dim, 3, padding=1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)
