"""Every metric as a function of batches, torchmetrics-style, beside the classes.

    from benchmark.metrics import functional as MF
    MF.psnr(pred, gt, protocol="promptir")     # pred, gt: Nx3xHxW float in [0,1] -> N float64 (CPU)
    MF.lpips(pred, gt, net="vgg")              # weights resolved once, the built metric is reused
    MF.score("niqe", pred)                     # any registered per-image metric by name

The protocol prepares the inputs (crops, quantization) exactly as the classes do; a metric is built once per
(name, protocol, device, options) and kept. Distribution metrics (FID, KID) score sets: use
:func:`benchmark.metrics.build_metric` with ``update``/``compute``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch

from benchmark.metrics.base import ImageMetric, spec
from benchmark.protocols import Protocol
from restorebench.errors import InputError


@lru_cache(maxsize=16)
def _built(name: str, protocol: str | Protocol, device: str, options: tuple[tuple[str, Any], ...]) -> ImageMetric:
    metric = spec(name).build(protocol=protocol, device=device, **dict(options))
    if not isinstance(metric, ImageMetric):
        raise InputError(f"{name} scores sets, not images: use build_metric({name!r}) with update/compute")
    return metric


def score(name: str, pred: torch.Tensor, gt: torch.Tensor | None = None, protocol: str | Protocol = "basicsr",
          **options: Any) -> torch.Tensor:
    """Per-image values (N float64, CPU) of metric ``name`` on ``pred`` (and ``gt`` for full-reference
    metrics), computed on ``pred``'s device; ``options`` go to the metric's constructor."""
    return _built(name, protocol, str(pred.device), tuple(sorted(options.items()))).score(pred, gt)


def psnr(pred: torch.Tensor, gt: torch.Tensor, protocol: str | Protocol = "basicsr") -> torch.Tensor:
    """PSNR in dB per image (see :mod:`benchmark.metrics.pixel`)."""
    return score("psnr", pred, gt, protocol)


def ssim(pred: torch.Tensor, gt: torch.Tensor, protocol: str | Protocol = "basicsr") -> torch.Tensor:
    """Mean SSIM per image (see :mod:`benchmark.metrics.pixel`)."""
    return score("ssim", pred, gt, protocol)


def ms_ssim(pred: torch.Tensor, gt: torch.Tensor, protocol: str | Protocol = "basicsr") -> torch.Tensor:
    """Five-scale MS-SSIM per image (at least 176 px a side; see :mod:`benchmark.metrics.pixel`)."""
    return score("ms_ssim", pred, gt, protocol)


def lpips(pred: torch.Tensor, gt: torch.Tensor, net: str = "alex", protocol: str | Protocol = "basicsr",
          precision: str = "tf32") -> torch.Tensor:
    """LPIPS v0.1 distance per image with the ``"alex"`` or ``"vgg"`` backbone (lower is better)."""
    return score("lpips" if net == "alex" else f"lpips-{net}", pred, gt, protocol, precision=precision)


def dists(pred: torch.Tensor, gt: torch.Tensor, protocol: str | Protocol = "basicsr",
          precision: str = "tf32") -> torch.Tensor:
    """DISTS distance per image (lower is better)."""
    return score("dists", pred, gt, protocol, precision=precision)
