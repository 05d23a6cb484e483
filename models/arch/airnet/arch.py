"""AirNet (Li, Liu, Hu, Wu, Lv, Peng. All-In-One Image Restoration for Unknown Corruption. CVPR 2022).

* CBDE, the contrastive-based degraded encoder: a small residual CNN (``E_pre``: 3 -> 64 at full resolution;
  then two stride-2 residual blocks to 256 channels, global pooling and a 2-layer MLP) trained with MoCo
  (query/key encoders, a queue of negative keys). At test time only the query encoder's full-resolution
  64-channel map ``inter`` is used: it carries the degradation representation. The key encoder, the queue
  (``dim x K``, K = 256 x the number of training degradations: 1280 for the released all-in-one model) and
  its pointer are training state, kept here only so the released checkpoint loads strictly.
* DGRN, the degradation-guided restoration network: head conv -> 5 groups x 5 blocks -> conv (+ long skip) ->
  tail conv; the output is the restored image. Each block (DGB) has two degradation-guided modules (DGM):
  ``x + DCN(x | inter) + SFT(x | inter)``, where DCN is a modulated deformable 3x3 convolution whose offsets
  and masks come from a conv on ``cat(x, inter)`` (DCNv2), and SFT is ``x * gamma(inter) + beta(inter)``
  (two 1x1-conv branches); LeakyReLU(0.1) between layers.

Parameter names follow XLearning-SCU/2022-CVPR-AirNet (``R.*`` restorer, ``E.E.encoder_q/encoder_k/queue``).
The deformable convolution is torchvision's ``deform_conv2d`` (same offset layout as the mmcv op the authors
used) at inference; with gradients on (training) the same operation runs as bilinear sampling plus a matrix
product (``deform_conv_sampled``), whose backward pass is several times faster on the CPU. Batch norms run in inference mode.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import deform_conv2d

from restorebench.errors import InputError

SLOPE = 0.1


def _conv(cin: int, cout: int, k: int = 3, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, padding=k // 2, bias=bias)


class ResBlock(nn.Module):
    """Conv-BN-LeakyReLU-Conv-BN plus a 1x1 conv-BN shortcut, then LeakyReLU (stride on the first conv)."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout),
            nn.LeakyReLU(SLOPE, inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.backbone(x) + self.shortcut(x), SLOPE)


class DegradationEncoder(nn.Module):
    """CBDE's ResEncoder: ``inter`` (N, feats, H, W) full-resolution map, pooled ``dim``-d feature, MLP projection
    (paper: feats 64, widths 64 -> 128 -> 256)."""

    def __init__(self, dim: int = 256, feats: int = 64):
        super().__init__()
        self.E_pre = ResBlock(3, feats)
        self.E = nn.Sequential(ResBlock(feats, dim // 2, 2), ResBlock(dim // 2, dim, 2), nn.AdaptiveAvgPool2d(1))
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.LeakyReLU(SLOPE, inplace=True), nn.Linear(dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The degradation map ``inter`` (what DGRN consumes at test time)."""
        return self.E_pre(x)

    def embed(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(``inter``, the unit-norm MLP projection (N, dim) that the contrastive loss compares)."""
        inter = self.E_pre(x)
        return inter, F.normalize(self.mlp(self.E(inter).flatten(1)), dim=1)


class MoCoState(nn.Module):
    """Query and key encoders plus the negative-key queue (training state of the MoCo objective)."""

    def __init__(self, dim: int, queue_size: int, feats: int = 64):
        super().__init__()
        self.encoder_q = DegradationEncoder(dim, feats)
        self.encoder_k = DegradationEncoder(dim, feats)
        self.register_buffer("queue", torch.zeros(dim, queue_size))
        self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))


class CBDE(nn.Module):
    """Contrastive-based degraded encoder (``E.E.*`` in the release)."""

    def __init__(self, dim: int = 256, queue_size: int = 1280, feats: int = 64):
        super().__init__()
        self.E = MoCoState(dim, queue_size, feats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.E.encoder_q(x)


def deform_conv_sampled(x: torch.Tensor, offset: torch.Tensor, weight: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Modulated deformable k x k convolution (stride 1, padding k // 2, no bias) as bilinear sampling plus a
    matrix product: the same values as ``torchvision.ops.deform_conv2d`` (offsets as (dy, dx) pairs per kernel
    tap, row-major taps; zero outside the image) up to float rounding, with a much cheaper backward pass on
    the CPU, at the cost of a k*k x larger intermediate (N, C, k*k, H, W). x: (N, C, H, W); offset:
    (N, 2 k k, H, W); weight: (O, C, k, k); mask: (N, k k, H, W) -> (N, O, H, W)."""
    n, c, h, w = x.shape
    k = weight.shape[-1]
    taps = torch.arange(k, dtype=x.dtype, device=x.device) - k // 2
    rows = torch.arange(h, dtype=x.dtype, device=x.device).view(1, 1, h, 1) + taps.repeat_interleave(k).view(1, -1, 1, 1)
    cols = torch.arange(w, dtype=x.dtype, device=x.device).view(1, 1, 1, w) + taps.repeat(k).view(1, -1, 1, 1)
    py, px = rows + offset[:, 0::2], cols + offset[:, 1::2]
    grid = torch.stack([2 * px / max(w - 1, 1) - 1, 2 * py / max(h - 1, 1) - 1], dim=-1).view(n, k * k * h, w, 2)
    sampled = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    sampled = sampled.view(n, c, k * k, h, w) * mask.unsqueeze(1)
    return torch.einsum("nckhw,ock->nohw", sampled, weight.reshape(weight.shape[0], c, k * k))


class ModulatedDeformConv(nn.Module):
    """DCNv2 3x3 (no bias) whose offsets and masks come from a conv on ``cat(x, inter)``."""

    def __init__(self, channels: int, k: int = 3):
        super().__init__()
        self.k = k
        self.weight = nn.Parameter(torch.empty(channels, channels, k, k))
        nn.init.kaiming_uniform_(self.weight, a=5 ** 0.5)
        self.conv_offset_mask = nn.Conv2d(2 * channels, 3 * k * k, k, padding=k // 2)
        nn.init.zeros_(self.conv_offset_mask.weight)
        nn.init.zeros_(self.conv_offset_mask.bias)

    def forward(self, x: torch.Tensor, inter: torch.Tensor) -> torch.Tensor:
        o1, o2, mask = self.conv_offset_mask(torch.cat([x, inter], dim=1)).chunk(3, dim=1)
        offset, mask = torch.cat([o1, o2], dim=1), torch.sigmoid(mask)
        if torch.is_grad_enabled() and min(x.shape[-2:]) > 1:
            return deform_conv_sampled(x, offset, self.weight, mask)
        return deform_conv2d(x, offset, self.weight, padding=self.k // 2, mask=mask)


class SFT(nn.Module):
    """Spatial feature transform: ``x * gamma(inter) + beta(inter)`` with 1x1-conv branches (no bias)."""

    def __init__(self, channels: int):
        super().__init__()

        def branch() -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(channels, channels, 1, bias=False), nn.LeakyReLU(SLOPE, inplace=True),
                                 nn.Conv2d(channels, channels, 1, bias=False))

        self.conv_gamma = branch()
        self.conv_beta = branch()

    def forward(self, x: torch.Tensor, inter: torch.Tensor) -> torch.Tensor:
        return x * self.conv_gamma(inter) + self.conv_beta(inter)


class DGM(nn.Module):
    """Degradation-guided module: ``x + DCN(x | inter) + SFT(x | inter)``."""

    def __init__(self, channels: int):
        super().__init__()
        self.dcn = ModulatedDeformConv(channels)
        self.sft = SFT(channels)

    def forward(self, x: torch.Tensor, inter: torch.Tensor) -> torch.Tensor:
        return x + self.dcn(x, inter) + self.sft(x, inter)


class DGB(nn.Module):
    """Degradation-guided block: DGM, conv, DGM, conv, with LeakyReLUs and a residual connection."""

    def __init__(self, channels: int):
        super().__init__()
        self.dgm1 = DGM(channels)
        self.dgm2 = DGM(channels)
        self.conv1 = _conv(channels, channels)
        self.conv2 = _conv(channels, channels)

    def forward(self, x: torch.Tensor, inter: torch.Tensor) -> torch.Tensor:
        out = F.leaky_relu(self.dgm1(x, inter), SLOPE)
        out = F.leaky_relu(self.conv1(out), SLOPE)
        out = F.leaky_relu(self.dgm2(out, inter), SLOPE)
        return self.conv2(out) + x


def _guided_chain(body: nn.Sequential, x: torch.Tensor, inter: torch.Tensor) -> torch.Tensor:
    """Run guided modules ``body[:-1]`` then the plain conv ``body[-1]``, plus the input (residual group)."""
    res = x
    for m in body[:-1]:
        res = m(res, inter)
    return body[-1](res) + x


class DGG(nn.Module):
    """Degradation-guided group: ``n_blocks`` DGBs and a conv, with a residual connection."""

    def __init__(self, channels: int, n_blocks: int):
        super().__init__()
        self.body = nn.Sequential(*[DGB(channels) for _ in range(n_blocks)], _conv(channels, channels))

    def forward(self, x: torch.Tensor, inter: torch.Tensor) -> torch.Tensor:
        return _guided_chain(self.body, x, inter)


class DGRN(nn.Module):
    """Degradation-guided restoration network: head, ``n_groups`` DGGs + conv (long skip), tail."""

    def __init__(self, n_feats: int = 64, n_groups: int = 5, n_blocks: int = 5):
        super().__init__()
        self.head = nn.Sequential(_conv(3, n_feats))
        self.body = nn.Sequential(*[DGG(n_feats, n_blocks) for _ in range(n_groups)], _conv(n_feats, n_feats))
        self.tail = nn.Sequential(_conv(n_feats, 3))

    def forward(self, x: torch.Tensor, inter: torch.Tensor) -> torch.Tensor:
        return self.tail(_guided_chain(self.body, self.head(x), inter))


class AirNet(nn.Module):
    """AirNet: (N, 3, H, W) degraded RGB in [0,1] -> restored RGB, same shape (any size).

    The degradation map has ``n_feats`` channels (the paper's 64), the width of the restoration features too.
    """

    def __init__(self, n_feats: int = 64, n_groups: int = 5, n_blocks: int = 5, dim: int = 256,
                 queue_size: int = 1280):
        super().__init__()
        if dim % 2 or dim < 2:
            raise InputError(f"AirNet: dim={dim} must be an even positive width (the encoder halves it)")
        self.R = DGRN(n_feats, n_groups, n_blocks)
        self.E = CBDE(dim, queue_size, n_feats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.R(x, self.E(x))


SIZES = {
    "paper": {},
    "small": {"n_feats": 32, "n_groups": 2, "n_blocks": 2, "dim": 128, "queue_size": 768},
}
"""Named configurations: ``paper`` is the released model's; ``small`` trains on a CPU (trained-here weights)."""


def airnet(**hparams) -> AirNet:
    """An AirNet; defaults are the released all-in-one model's (queue of 5 x 256 keys)."""
    return AirNet(**hparams)


def detect(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """AirNet hyper-parameters read off a state dict."""
    groups = {int(m.group(1)) for k in state_dict if (m := re.match(r"^R\.body\.(\d+)\.body\.", k))}
    blocks = {int(m.group(1)) for k in state_dict if (m := re.match(r"^R\.body\.0\.body\.(\d+)\.dgm1\.", k))}
    queue = state_dict["E.E.queue"]
    return {"n_feats": int(state_dict["R.head.0.weight"].shape[0]), "n_groups": len(groups),
            "n_blocks": len(blocks), "dim": int(queue.shape[0]), "queue_size": int(queue.shape[1])}
