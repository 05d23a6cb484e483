"""PReNet (Ren, Zuo, Hu, Zhu, Meng. Progressive Image Deraining Networks: A Better and Simpler Baseline.
CVPR 2019).

One stage, applied ``stages`` times (T = 6) with shared weights, maps the rainy image ``y`` and the current
estimate ``x`` (both RGB in [0,1]; ``x = y`` initially) to a new estimate:

* ``f_in``: 3x3 conv (6 -> 32) + ReLU on ``cat(y, x)`` (``conv0``);
* ``f_recurrent``: a convolutional LSTM (``conv_i``, ``conv_f``, ``conv_g``, ``conv_o``: 3x3 convs on
  ``cat(features, h)``, sigmoid / sigmoid / tanh / sigmoid gates; ``c = f * c + i * g``, ``h = o * tanh(c)``);
* ``f_res``: five residual blocks of two 3x3 convs + ReLU each, ``relu(block(z) + z)`` (``res_conv1..5``);
* ``f_out``: 3x3 conv (32 -> 3) (``conv``), added to ``y`` (the network predicts the negative rain layer).

The authors' real-rain models (``logs/real/PReNet{1,2}.pth``, their ``generator.Generator_lstm``) share these
parameter names but wire them differently (``design="real"``): 4 stages, the LSTM after the residual blocks,
and ``f_out`` gives the image directly (no addition of ``y``).

Parameter names follow the authors' release (csdwren/PReNet ``networks.PReNet``). The design and the stage
count do not show in a checkpoint (6 stages for the synthetic-rain models, 4 for the real ones). Receptive
field: 13 convs per stage, about 157 pixels for 6 chained stages (105 for 4).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from restorebench.errors import InputError

RES_BLOCKS = 5


def _conv(cin: int, cout: int, act: nn.Module | None) -> nn.Sequential:
    """A 3x3 convolution followed by ``act`` (keys ``.0.weight/bias``)."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3, padding=1)]
    if act is not None:
        layers.append(act)
    return nn.Sequential(*layers)


DESIGNS = ("prenet", "real")


class PReNet(nn.Module):
    """PReNet with ``stages`` recurrent stages and ``features`` channels (6 and 32 in the paper).

    ``design``: "prenet" (the paper's stage: LSTM first, residual output) or "real" (the authors' real-rain
    generator: LSTM after the residual blocks, direct output).
    """

    def __init__(self, stages: int = 6, features: int = 32, design: str = "prenet"):
        super().__init__()
        if design not in DESIGNS:
            raise InputError(f"PReNet: design={design!r}; expected one of {DESIGNS}")
        self.stages = stages
        self.features = features
        self.design = design
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
            z = self.conv0(torch.cat([y, x], dim=1))
            if self.design == "prenet":
                hidden, cell = self._lstm(z, hidden, cell)
                x = self.conv(self._residual_blocks(hidden)) + y
            else:
                hidden, cell = self._lstm(self._residual_blocks(z), hidden, cell)
                x = self.conv(hidden)
        return x

    def _lstm(self, z: torch.Tensor, hidden: torch.Tensor, cell: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One convolutional-LSTM step on features ``z``: new (hidden, cell)."""
        zh = torch.cat([z, hidden], dim=1)
        cell = self.conv_f(zh) * cell + self.conv_i(zh) * self.conv_g(zh)
        return self.conv_o(zh) * torch.tanh(cell), cell

    def _residual_blocks(self, z: torch.Tensor) -> torch.Tensor:
        for k in range(1, RES_BLOCKS + 1):
            z = F.relu(getattr(self, f"res_conv{k}")(z) + z)
        return z


def prenet(stages: int = 6, features: int = 32, design: str = "prenet") -> PReNet:
    """A PReNet (synthetic-rain releases: 6 stages, 32 features; real-rain releases: design="real", 4 stages)."""
    return PReNet(stages, features, design)


def detect(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Feature width of a PReNet checkpoint (design and stage count are not stored; see the module doc)."""
    return {"features": int(state_dict["conv0.0.weight"].shape[0])}
