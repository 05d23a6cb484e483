"""AOD-Net (Li, Peng, Wang, Xu, Feng. AOD-Net: All-in-One Dehazing Network. ICCV 2017).

The atmospheric scattering model ``I = J t + A (1 - t)`` is rewritten as ``J = K(I) * I - K(I) + b`` with one
map ``K`` folding transmission and airlight, and ``b = 1``. The K-estimation module has five convolutions with
3 filters each (kernels 1, 3, 5, 7, 3) and multi-scale concatenations: conv3 on cat(conv1, conv2), conv4 on
cat(conv2, conv3), conv5 on cat(conv1, conv2, conv3, conv4), all with ReLU; the output is ReLU'd as in the
reference PyTorch release. No hyper-parameters, so no ``detect``. Parameter names follow
TheFairBear/PyTorch-Image-Dehazing (``e_conv1..5``). Receptive field 15.
"""

from __future__ import annotations

import torch
from torch import nn


class AODNet(nn.Module):
    """AOD-Net: x (N, 3, H, W) hazy RGB in [0,1] -> dehazed RGB, same shape."""

    def __init__(self):
        super().__init__()
        self.e_conv1 = nn.Conv2d(3, 3, 1)
        self.e_conv2 = nn.Conv2d(3, 3, 3, padding=1)
        self.e_conv3 = nn.Conv2d(6, 3, 5, padding=2)
        self.e_conv4 = nn.Conv2d(6, 3, 7, padding=3)
        self.e_conv5 = nn.Conv2d(12, 3, 3, padding=1)

    def k_map(self, x: torch.Tensor) -> torch.Tensor:
        """The K(I) map (N, 3, H, W) of the reformulated scattering model."""
        x1 = torch.relu(self.e_conv1(x))
        x2 = torch.relu(self.e_conv2(x1))
        x3 = torch.relu(self.e_conv3(torch.cat([x1, x2], dim=1)))
        x4 = torch.relu(self.e_conv4(torch.cat([x2, x3], dim=1)))
        return torch.relu(self.e_conv5(torch.cat([x1, x2, x3, x4], dim=1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """J = relu(K * I - K + 1)."""
        k = self.k_map(x)
        return torch.relu(k * x - k + 1.0)


def aodnet() -> AODNet:
    """An AOD-Net (no hyper-parameters)."""
    return AODNet()
