"""Defusion's image-restoration bridge: a light convolutional encoder of the degraded image whose features, one
per resolution, modulate the diffusion U-Net's block outputs with AdaLN-Zero.

At every U-Net block output ``h`` (C channels, resolution r) the bridge feature ``f`` of resolution r gives
``(scale, shift, gate)`` through a zero-initialized 1x1 convolution, and
``h <- h + gate * (LN(h) * (1 + scale) + shift)`` (LN over channels at each pixel): the U-Net starts
unconditioned and learns how much of the image to let in. The modulation is applied by forward hooks on the
U-Net's down, mid and up blocks, fed the features of the current call by :meth:`RestorationBridge.inject`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn


class _ResBlock(nn.Module):
    def __init__(self, ch: int, groups: int):
        super().__init__()
        self.body = nn.Sequential(nn.GroupNorm(groups, ch), nn.SiLU(), nn.Conv2d(ch, ch, 3, 1, 1),
                                  nn.GroupNorm(groups, ch), nn.SiLU(), nn.Conv2d(ch, ch, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class AdaLNZero(nn.Module):
    """``h + gate * (LN(h) * (1 + scale) + shift)`` with (scale, shift, gate) from a feature map (zero at init)."""

    def __init__(self, feat_ch: int, ch: int):
        super().__init__()
        self.mod = nn.Conv2d(feat_ch, 3 * ch, 1)
        nn.init.zeros_(self.mod.weight)
        nn.init.zeros_(self.mod.bias)

    def forward(self, h: torch.Tensor, feat: torch.Tensor) -> torch.Tensor:
        scale, shift, gate = self.mod(feat).chunk(3, dim=1)
        normed = F.layer_norm(h.permute(0, 2, 3, 1), h.shape[1:2]).permute(0, 3, 1, 2)
        return h + gate * (normed * (1 + scale) + shift)


class RestorationBridge(nn.Module):
    """Features of the degraded image at resolutions 1, 1/2, ... (``channels[k]`` at 1/2**k), and the
    AdaLN-Zero modulators of a U-Net's blocks (``block_channels``: each block's output width, down/mid/up order)."""

    def __init__(self, channels: tuple[int, ...], block_channels: list[int], groups: int = 8):
        super().__init__()
        self.stem = nn.Conv2d(3, channels[0], 3, 1, 1)
        self.levels = nn.ModuleList(_ResBlock(c, groups) for c in channels)
        self.down = nn.ModuleList(nn.Conv2d(a, b, 3, 2, 1) for a, b in itertools.pairwise(channels))
        self.mods = nn.ModuleList(AdaLNZero(max(channels), c) for c in block_channels)
        self.align = nn.ModuleList(nn.Conv2d(c, max(channels), 1) for c in channels)
        self._feats: list[torch.Tensor] | None = None

    def features(self, lq: torch.Tensor) -> list[torch.Tensor]:
        """Bridge features of a degraded batch in [0,1], finest first (all ``max(channels)`` wide)."""
        x = self.stem(lq * 2 - 1)
        out = []
        for k, level in enumerate(self.levels):
            x = level(x)
            out.append(self.align[k](x))
            if k < len(self.down):
                x = self.down[k](x)
        return out

    def _feature_for(self, h: torch.Tensor) -> torch.Tensor:
        for f in self._feats:
            if f.shape[-2:] == h.shape[-2:]:
                return f
        return F.interpolate(self._feats[-1], size=h.shape[-2:], mode="bilinear", align_corners=False)

    def hook(self, unet: nn.Module) -> None:
        """Register the modulating forward hooks on the U-Net's down, mid and up blocks (once)."""
        blocks = [*unet.down_blocks, unet.mid_block, *unet.up_blocks]
        for block, mod in zip(blocks, self.mods, strict=True):
            block.register_forward_hook(self._make_hook(mod))

    def _make_hook(self, mod: AdaLNZero):
        def apply(_module: nn.Module, _inputs: tuple, output):
            if self._feats is None:
                return output
            if isinstance(output, tuple):  # down blocks: (hidden states, skip connections)
                return (mod(output[0], self._feature_for(output[0])), *output[1:])
            return mod(output, self._feature_for(output))
        return apply

    @contextmanager
    def inject(self, feats: list[torch.Tensor]) -> Iterator[None]:
        """Within the block, U-Net calls are modulated by ``feats`` (from :meth:`features`)."""
        self._feats = feats
        try:
            yield
        finally:
            self._feats = None
