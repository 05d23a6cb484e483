"""Small networks with known receptive fields, used as registry adapters by the models-core tests."""

from __future__ import annotations

import torch
from torch import nn


class TinyCNN(nn.Module):
    """``depth`` 3x3 convs (zero padding) with ReLUs, residual: receptive field 2*depth + 1 pixels."""

    def __init__(self, channels: int = 3, width: int = 8, depth: int = 4):
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(depth):
            layers.append(nn.Conv2d(channels if i == 0 else width, channels if i == depth - 1 else width, 3, padding=1))
            if i < depth - 1:
                layers.append(nn.ReLU())
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - 0.1 * self.body(x)


class Unshuffled(nn.Module):
    """Pixel-unshuffle by 4, one 3x3 conv, shuffle back: needs sides that are multiples of 4."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(48, 48, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.1 * nn.functional.pixel_shuffle(self.conv(nn.functional.pixel_unshuffle(x, 4)), 4)


class SigmaMap(nn.Module):
    """Returns the noise level it is given, broadcast over the image (checks the ``sigma`` input)."""

    def __init__(self, channels: int = 3):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x) + self.scale * sigma.view(-1, 1, 1, 1)


class GrayDarken(nn.Module):
    """A gray-only map (1 channel in and out): y = 0.5 * x; shows how RGB is fed to gray networks."""

    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(torch.full((1,), 0.5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] != 1:
            raise ValueError(f"gray network got {x.shape[1]} channels")
        return self.gain * x


class Conditioned(nn.Module):
    """Encodes its text prompt (length / 100) and visual instruction (mean) in the output, per image."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor, prompt: list[str] | None = None, instruction: torch.Tensor | None = None):
        lengths = torch.tensor([len(p) / 100 for p in prompt] if prompt else [0.0] * len(x), device=x.device)
        means = instruction.mean(dim=(1, 2, 3)) if instruction is not None else torch.zeros(len(x), device=x.device)
        return torch.zeros_like(x) + self.scale * (lengths + means).view(-1, 1, 1, 1)


def conditioned() -> nn.Module:
    return Conditioned()


def tiny_cnn(**kw) -> nn.Module:
    return TinyCNN(**kw)


def unshuffled() -> nn.Module:
    return Unshuffled()


def sigma_map() -> nn.Module:
    return SigmaMap()


def gray_darken() -> nn.Module:
    return GrayDarken()
