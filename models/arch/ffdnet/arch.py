"""FFDNet (Zhang, Zuo, Zhang. FFDNet: Toward a Fast and Flexible Solution for CNN-Based Image Denoising.
IEEE TIP 2018).

The image is reversibly downsampled into four 2x2 sub-images (pixel unshuffle: ``4 * C`` channels at half
resolution), concatenated with a constant noise-level map ``M`` (sigma in [0,1] units), passed through a plain
stack of 3x3 convolutions with ReLU (batch norm folded in the released files) and pixel-shuffled back; the
network outputs the clean image directly. Paper settings: gray 15 layers / 64 features, color 12 layers /
96 features. Sides must be even (registry ``size_multiple: 2``). Receptive field ``2 * (2 * nb + 1)`` pixels.

Parameter names follow KAIR: ``model.{2i}.weight/bias`` for convolution ``i``; the unshuffle channel order is
torch's ``pixel_unshuffle`` (channel-major), identical to KAIR's and to the MatConvNet originals.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from models.arch.common import conv_relu_stack, level_map, noise_level, stack_hparams
from restorebench.errors import InputError


class FFDNet(nn.Module):
    """FFDNet on ``in_nc``-channel images (1 gray, 3 color); ``nc`` features, ``nb`` convolutions."""

    def __init__(self, in_nc: int = 3, out_nc: int = 3, nc: int = 96, nb: int = 12):
        super().__init__()
        self.model = conv_relu_stack(4 * in_nc + 1, 4 * out_nc, nc, nb)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | None = None) -> torch.Tensor:
        """x: (N, C, H, W) in [0,1] with H, W even; sigma: (N,) noise std in [0,1] units. Same shape out."""
        h, w = x.shape[-2:]
        if h % 2 or w % 2:
            raise InputError(f"FFDNet: height and width must be even (pad to a multiple of 2), got {h}x{w}")
        s = noise_level(sigma, x, "FFDNet")
        z = F.pixel_unshuffle(x, 2)
        z = torch.cat([z, level_map(s, h // 2, w // 2)], dim=1)
        return F.pixel_shuffle(self.model(z), 2)


def ffdnet(in_nc: int = 3, out_nc: int = 3, nc: int = 96, nb: int = 12) -> FFDNet:
    """An FFDNet (color: nc=96, nb=12; gray: nc=64, nb=15)."""
    return FFDNet(in_nc, out_nc, nc, nb)


def detect(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Factory arguments of a KAIR-layout FFDNet checkpoint."""
    hp = stack_hparams(state_dict)
    if (hp["in_nc"] - 1) % 4 or hp["out_nc"] % 4:
        raise InputError(f"not an FFDNet state dict: first conv takes {hp['in_nc']} channels (expected 4*C+1)")
    return {"in_nc": (hp["in_nc"] - 1) // 4, "out_nc": hp["out_nc"] // 4, "nc": hp["nc"], "nb": hp["nb"]}
