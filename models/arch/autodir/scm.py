"""AutoDIR's structural-correction module (SCM): ``I_res = I_sd + w * F([I, I_sd])``.

``F`` is a NAFNet (spandrel's implementation of Chen et al., ECCV 2022) on the 6-channel concatenation of the
input image ``I`` and the latent-diffusion result ``I_sd`` (in that order, as AutoDIR's released model), whose
last convolution outputs 3 channels; images are in [-1, 1] inside, as in AutoDIR. The released model uses
width 64, encoder blocks [2, 2, 4, 8], 12 middle blocks, decoder blocks [2, 2, 2, 2] and ``w = 1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class StructureCorrection(nn.Module):
    """``forward(image, restored)`` on Nx3xHxW batches in [0,1] -> the corrected Nx3xHxW batch in [0,1]."""

    def __init__(self, width: int = 64, enc_blk_nums: Sequence[int] = (2, 2, 4, 8), middle_blk_num: int = 12,
                 dec_blk_nums: Sequence[int] = (2, 2, 2, 2), weight: float = 1.0):
        super().__init__()
        from spandrel.architectures.NAFNet import NAFNet

        self.net = NAFNet(img_channel=6, width=width, middle_blk_num=middle_blk_num,
                          enc_blk_nums=list(enc_blk_nums), dec_blk_nums=list(dec_blk_nums))
        self.net.ending = nn.Conv2d(width, 3, kernel_size=3, padding=1)
        self.weight = weight

    def correction(self, stacked: torch.Tensor) -> torch.Tensor:
        """``F`` on an Nx6xHxW stack in [-1, 1] (padded to the NAFNet's multiple, cropped back)."""
        net = self.net
        h, w = stacked.shape[-2:]
        x = net.intro(net.check_image_size(stacked))
        skips = []
        for encoder, down in zip(net.encoders, net.downs):
            x = encoder(x)
            skips.append(x)
            x = down(x)
        x = net.middle_blks(x)
        for decoder, up, skip in zip(net.decoders, net.ups, skips[::-1]):
            x = decoder(up(x) + skip)
        return net.ending(x)[..., :h, :w]

    def forward(self, image: torch.Tensor, restored: torch.Tensor) -> torch.Tensor:
        stacked = torch.cat([image, restored], dim=1) * 2.0 - 1.0
        return restored + self.weight * self.correction(stacked) / 2.0
