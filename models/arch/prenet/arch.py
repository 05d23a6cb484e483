"""PReNet (Ren, Zuo, Hu, Zhu, Meng. Progressive Image Deraining Networks: A Better and Simpler Baseline.
CVPR 2019).

One stage, applied ``stages`` times (T = 6) with shared weights, maps the rainy image ``y`` and the current
estimate ``x`` (both RGB in [0,1]; ``x = y`` initially) to a new estimate:

* ``f_in``: 3x3 conv (6 -> 32) + ReLU on ``cat(y, x)`` (``conv0``);
* ``f_recurrent``: a convolutional LSTM (``conv_i``, ``conv_f``, ``conv_g``, ``conv_o``: 3x3 convs on
  ``cat(features, h)``, sigmoid / sigmoid / tanh / sigmoid gates; ``c = f * c + i * g``, ``h = o * tanh(c)``);
* ``f_res``: five residual blocks of two 3x3 convs + ReLU each, ``relu(block(z) + z)`` (``res_conv1..5``);
* ``f_out``: 3x3 conv (32 -> 3) (``conv``), added to ``y`` (the network predicts the negative rain layer).

Parameter names follow the authors' release (csdwren/PReNet ``networks.PReNet``). The recurrent state and the
stage count do not show in a checkpoint: every released model uses 6 stages. Receptive field: 13 convs per
stage and 6 chained stages, about 157 pixels.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

RES_BLOCKS = 5


def _conv(cin: int, cout: int, act: nn.Module | None) -> nn.Sequential:
    """A 3x3 convolution followed by ``act`` (keys ``.0.weight/bias``)."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3, padding=1)]
    if act is not None:
        layers.append(act)
    return nn.Sequential(*layers)


class PReNet(nn.Module):
    """PReNet with ``stages`` recurrent stages and ``features`` channels (6 and 32 in the paper)."""

    def __init__(self, stages: int = 6, features: int = 32):
        super().__init__()
        self.stages = stages
        self.features = features
        self.conv0 = _conv(6, features, nn.ReLU())
        for k in range(1, RES_BLOCKS + 1):
            block = nn.Sequential(nn.Conv2d(features, features, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(features, features, 3, padding=1), nn.ReLU())
            self.add_module(f"res_conv{k}", block)
        self.conv_i = _conv(2 * features, features, nn.Sigmoid())
        self.conv_f = _conv(2 * features, features, nn.Sigmoid())
        self.conv_g = _conv(2 * features, features, nn.Tanh())
        self.conv_o = _conv(2 * features, features, nn.Sigmoid())
        self.conv = _conv(features, 3, None)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """y: (N, 3, H, W) rainy RGB in [0,1] -> (N, 3, H, W) derained estimate after the last stage."""
        n, _, h, w = y.shape
        hidden = y.new_zeros(n, self.features, h, w)
        cell = torch.zeros_like(hidden)
        x = y
        for _ in range(self.stages):
            z = torch.cat([self.conv0(torch.cat([y, x], dim=1)), hidden], dim=1)
            cell = self.conv_f(z) * cell + self.conv_i(z) * self.conv_g(z)
            hidden = self.conv_o(z) * torch.tanh(cell)
            z = hidden
            for k in range(1, RES_BLOCKS + 1):
                z = F.relu(getattr(self, f"res_conv{k}")(z) + z)
            x = self.conv(z) + y
        return x


def prenet(stages: int = 6, features: int = 32) -> PReNet:
    """A PReNet (the released models: 6 stages, 32 features)."""
    return PReNet(stages, features)


def detect(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Factory arguments of a PReNet checkpoint (the stage count is not stored; 6 as released)."""
    return {"stages": 6, "features": int(state_dict["conv0.0.weight"].shape[0])}
