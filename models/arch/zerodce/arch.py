"""Zero-DCE (Guo, Li, Guo, Loy, Hou, Kwong, Cong. Zero-Reference Deep Curve Estimation for Low-Light Image
Enhancement. CVPR 2020).

DCE-Net: seven 3x3 convolutions (32 features, ReLU) with symmetric skip concatenations (conv5 sees conv3 and
conv4, conv6 sees conv2 and conv5, conv7 sees conv1 and conv6); conv7 has ``3 * iterations`` outputs squashed
by tanh: one per-pixel, per-channel curve parameter map per iteration (8 iterations). The light-enhancement
curve ``LE(x) = x + alpha * x * (1 - x)`` is applied ``iterations`` times. The authors' released network
writes each step as ``x + r * (x^2 - x)``, i.e. ``alpha = -r``; the released weights are trained with that
sign, which is kept here. Parameter names follow Li-Chongyi/Zero-DCE (``e_conv1..7``). Receptive field 15.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn


class ZeroDCE(nn.Module):
    """DCE-Net with ``features`` channels and ``iterations`` curve applications (32 and 8 in the paper)."""

    def __init__(self, features: int = 32, iterations: int = 8):
        super().__init__()
        self.iterations = iterations
        f = features
        self.e_conv1 = nn.Conv2d(3, f, 3, padding=1)
        self.e_conv2 = nn.Conv2d(f, f, 3, padding=1)
        self.e_conv3 = nn.Conv2d(f, f, 3, padding=1)
        self.e_conv4 = nn.Conv2d(f, f, 3, padding=1)
        self.e_conv5 = nn.Conv2d(2 * f, f, 3, padding=1)
        self.e_conv6 = nn.Conv2d(2 * f, f, 3, padding=1)
        self.e_conv7 = nn.Conv2d(2 * f, 3 * iterations, 3, padding=1)

    def curves(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3 * iterations, H, W) curve parameter maps ``r`` in [-1, 1] for x (N, 3, H, W) in [0,1]."""
        x1 = torch.relu(self.e_conv1(x))
        x2 = torch.relu(self.e_conv2(x1))
        x3 = torch.relu(self.e_conv3(x2))
        x4 = torch.relu(self.e_conv4(x3))
        x5 = torch.relu(self.e_conv5(torch.cat([x3, x4], dim=1)))
        x6 = torch.relu(self.e_conv6(torch.cat([x2, x5], dim=1)))
        return torch.tanh(self.e_conv7(torch.cat([x1, x6], dim=1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 3, H, W) low-light RGB in [0,1] -> enhanced RGB, same shape."""
        for r in torch.split(self.curves(x), 3, dim=1):
            x = x + r * (x * x - x)
        return x


def zerodce(features: int = 32, iterations: int = 8) -> ZeroDCE:
    """A Zero-DCE DCE-Net (released model: 32 features, 8 iterations)."""
    return ZeroDCE(features, iterations)


def detect(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Factory arguments of a Zero-DCE checkpoint: features and curve iterations."""
    return {"features": int(state_dict["e_conv1.weight"].shape[0]),
            "iterations": int(state_dict["e_conv7.weight"].shape[0]) // 3}
