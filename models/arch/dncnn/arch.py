"""DnCNN (Zhang, Zuo, Chen, Meng, Zhang. Beyond a Gaussian Denoiser: Residual Learning of Deep CNN for Image
Denoising. IEEE TIP 2017) and FDnCNN (Zhang, Zuo, Zhang. FFDNet. IEEE TIP 2018, the full-resolution variant).

DnCNN is a plain stack of ``nb`` 3x3 convolutions (64 features, ReLU; the paper's batch norm is folded into
the convolutions in the released KAIR/MatConvNet-converted files) trained by residual learning: the network
predicts the noise ``v`` and the estimate is ``x - v``. Depth: 17 for DnCNN-S (known sigma), 20 for DnCNN-B
(blind, sigma in [0, 55]) and DnCNN-3 (noise, JPEG q 5-99, bicubic SR x2-x4; the degraded image is the input
in every case, as in the paper). Receptive field: ``2 * nb + 1`` pixels.

FDnCNN takes the image concatenated with a constant noise-level map (``sigma`` in [0,1] units) and predicts
the clean image directly (no residual), as KAIR's FDnCNN does; ``in_nc`` counts the map channel.

Parameter names follow KAIR: ``model.{2i}.weight/bias`` for convolution ``i``.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from models.arch.common import conv_relu_stack, level_map, noise_level, stack_hparams
from restorebench.errors import InputError


class DnCNN(nn.Module):
    """DnCNN / FDnCNN on ``out_nc``-channel images.

    Args:
        in_nc: input channels of the first convolution (image channels, plus 1 with ``noise_map``).
        out_nc: image channels (1 gray, 3 color).
        nc: features per layer (64 in the paper).
        nb: number of convolutions (17 DnCNN-S, 20 DnCNN-B/DnCNN-3/FDnCNN).
        noise_map: FDnCNN: concatenate a noise-level map and predict the clean image directly.
    """

    def __init__(self, in_nc: int = 1, out_nc: int = 1, nc: int = 64, nb: int = 17, noise_map: bool = False):
        super().__init__()
        if in_nc != out_nc + int(noise_map):
            raise InputError(f"DnCNN: in_nc={in_nc} must be out_nc={out_nc}{' + 1 (noise map)' if noise_map else ''}")
        self.noise_map = noise_map
        self.model = conv_relu_stack(in_nc, out_nc, nc, nb)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor | None = None) -> torch.Tensor:
        """x: (N, out_nc, H, W) in [0,1]; sigma: (N,) noise std in [0,1] units (FDnCNN only). Same shape out."""
        if not self.noise_map:
            return x - self.model(x)
        s = noise_level(sigma, x, "FDnCNN")
        return self.model(torch.cat([x, level_map(s, x.shape[2], x.shape[3])], dim=1))


def dncnn(in_nc: int = 1, out_nc: int = 1, nc: int = 64, nb: int = 17) -> DnCNN:
    """A residual DnCNN (DnCNN-S with nb=17, DnCNN-B / DnCNN-3 with nb=20)."""
    return DnCNN(in_nc, out_nc, nc, nb, noise_map=False)


def fdncnn(in_nc: int = 4, out_nc: int = 3, nc: int = 64, nb: int = 20) -> DnCNN:
    """An FDnCNN: image plus noise-level map in (``in_nc = out_nc + 1``), clean image out."""
    return DnCNN(in_nc, out_nc, nc, nb, noise_map=True)


def detect(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Factory arguments of a KAIR-layout DnCNN/FDnCNN checkpoint, plus ``noise_map`` (True for FDnCNN)."""
    hp = stack_hparams(state_dict)
    return {**hp, "noise_map": hp["in_nc"] == hp["out_nc"] + 1}


SIZES = {"paper": {}, "small": {"nc": 32, "nb": 10}}
"""Named configurations: ``paper`` is the registry entry's own (the paper's 64 features); ``small`` (32 features,
10 convolutions; about 84 k parameters in colour) trains in minutes on a CPU, for experiments such as
``restorebench realism`` that train one architecture many times."""
