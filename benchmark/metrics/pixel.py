"""Pixel metrics under explicit protocols: PSNR, SSIM and MS-SSIM on batches, any device, float64.

Inputs are Nx3xHxW float tensors in [0,1] (pred, gt) already prepared by
:func:`benchmark.protocols.prepare` (protocol crops and quantization). Every
computation runs in float64 on the 0-255 scale, so values equal the MATLAB/BasicSR (uint8-scale) and
skimage (data_range=1) formulas to rounding; each function returns one value per image
(shape N, float64).

Formulas (Wang et al., IEEE TIP 2004): with window-weighted means mu, variances s2 and covariance s12,
``SSIM = (2 mu_x mu_y + C1)(2 s12 + C2) / ((mu_x^2 + mu_y^2 + C1)(s2_x + s2_y + C2))``, C1 = (0.01 L)^2,
C2 = (0.03 L)^2, L = 255, averaged over the valid region (windows fully inside the image) and channels.
MS-SSIM (Wang, Simoncelli, Bovik 2003) with weights (0.0448, 0.2856, 0.3001, 0.2363, 0.1333) over five
scales, each halved by 2x2 average pooling (pyiqa's variant; zero padding on odd sides).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from benchmark.metrics.base import ImageMetric, register_metric
from benchmark.metrics.pixel_cpu import mean_squared_error
from benchmark.protocols import PEAK, Protocol

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
Y601 = (65.481, 128.553, 24.966)
"""BT.601 limited-range luma weights for RGB in [0,1] -> Y in [16, 235] (offset 16)."""
YIQ = (0.299, 0.587, 0.114)
"""Full-range luma weights (the Y of YIQ, pyiqa's default colour space)."""


def luma(color: str) -> tuple[float, float, float, float] | None:
    """(w_r, w_g, w_b, offset) of a luma colour on the 0-255 scale for RGB in [0,1], or None for ``"rgb"``."""
    if color == "rgb":
        return None
    if color == "y601":
        return (*Y601, 16.0)
    return (*(c * PEAK for c in YIQ), 0.0)


def to_color(x: torch.Tensor, color: str) -> torch.Tensor:
    """Nx3xHxW float64 in [0,1] -> the channels scored, on the 0-255 scale: RGB (Nx3), or luma (Nx1) as
    BT.601 limited range (``"y601"``, 16-235) or full-range YIQ (``"yiq"``, 0-255)."""
    if (w := luma(color)) is None:
        return x * PEAK
    return (w[0] * x[:, 0:1] + w[1] * x[:, 1:2] + w[2] * x[:, 2:3]) + w[3]


def psnr(pred: torch.Tensor, gt: torch.Tensor, protocol: Protocol) -> torch.Tensor:
    """PSNR in dB per image: ``10 log10(255^2 / (MSE + eps 255^2))`` over the protocol's channels (inf when
    the images are equal and eps is 0). pred, gt: prepared Nx3xHxW float64 in [0,1] -> N float64."""
    a, b = to_color(pred, protocol.psnr_color), to_color(gt, protocol.psnr_color)
    return psnr_from_mse((a - b).pow(2).mean(dim=(1, 2, 3)), protocol)


def psnr_from_mse(mse: torch.Tensor, protocol: Protocol) -> torch.Tensor:
    """PSNR in dB of 0-255-scale MSE values, with the protocol's eps."""
    return 10.0 * torch.log10(PEAK**2 / (mse + protocol.psnr_eps * PEAK**2))


def window_1d(kind: str, device: torch.device | str = "cpu") -> torch.Tensor:
    """The separable SSIM window as a normalized float64 vector: Gaussian 11 taps sigma 1.5, or 7-tap box."""
    if kind == "gaussian11":
        k = torch.arange(11, dtype=torch.float64, device=device) - 5.0
        g = torch.exp(-(k * k) / (2 * 1.5**2))
        return g / g.sum()
    return torch.full((7,), 1.0 / 7.0, dtype=torch.float64, device=device)


def filter_valid(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """'Valid' filtering of every channel of NxCxHxW with the separable window ``outer(w, w)`` (w symmetric).

    CPU: :func:`filter_valid_cv2`, much faster than torch's float64 CPU convolution. Other devices:
    :func:`filter_valid_conv`, the form pyiqa uses (one 2-D window, faster there than a separable pair).
    """
    return filter_valid_cv2(x, w) if x.device.type == "cpu" else filter_valid_conv(x, w)


def filter_valid_cv2(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """OpenCV's sepFilter2D per map on the CPU (the valid region does not depend on the border mode)."""
    import cv2

    n, c, h, wd = x.shape
    k = w.numel()
    r = k // 2
    kern = w.cpu().numpy()
    maps = x.reshape(n * c, h, wd).cpu().numpy()
    out = [
        cv2.sepFilter2D(m, cv2.CV_64F, kern, kern, borderType=cv2.BORDER_REFLECT)[r : h - r, r : wd - r]
        for m in maps
    ]
    return torch.from_numpy(np.stack(out)).reshape(n, c, h - k + 1, wd - k + 1)


def filter_valid_conv(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """One conv2d with the 2-D window over all maps, on ``x``'s device and dtype."""
    n, c, h, wd = x.shape
    k = w.numel()
    y = F.conv2d(x.reshape(n * c, 1, h, wd), torch.outer(w, w).view(1, 1, k, k))
    return y.reshape(n, c, h - k + 1, wd - k + 1)


def ssim_maps(a: torch.Tensor, b: torch.Tensor, protocol: Protocol,
              filter_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = filter_valid,
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """(SSIM map, contrast-structure map), each NxCx(H-k+1)x(W-k+1), of 0-255-scale images ``a``, ``b``;
    ``filter_fn`` does the window filtering (:func:`filter_valid_conv` keeps the result differentiable)."""
    w = window_1d(protocol.ssim_window, a.device)
    k = w.numel()
    if min(a.shape[-2:]) < k:
        raise ValueError(f"SSIM needs images of at least {k}x{k} pixels, got {tuple(a.shape[-2:])}")
    c = a.shape[1]
    stats = filter_fn(torch.cat([a, b, a * a, b * b, a * b], dim=1), w)
    mu_a, mu_b, aa, bb, ab = stats.split(c, dim=1)
    norm = k * k / (k * k - 1.0) if protocol.ssim_covariance == "sample" else 1.0
    var_a = norm * (aa - mu_a * mu_a)
    var_b = norm * (bb - mu_b * mu_b)
    cov = norm * (ab - mu_a * mu_b)
    c1, c2 = (0.01 * PEAK) ** 2, (0.03 * PEAK) ** 2
    cs = (2 * cov + c2) / (var_a + var_b + c2)
    if protocol.ssim_clamp_cs:
        cs = cs.clamp(min=0.0)
    lum = (2 * mu_a * mu_b + c1) / (mu_a * mu_a + mu_b * mu_b + c1)
    return lum * cs, cs


def _ssim_input(x: torch.Tensor, protocol: Protocol) -> torch.Tensor:
    y = to_color(x, protocol.ssim_color)
    return torch.round(y) if protocol.ssim_round else y


def ssim(pred: torch.Tensor, gt: torch.Tensor, protocol: Protocol) -> torch.Tensor:
    """Mean SSIM per image over the valid region and the protocol's channels: prepared Nx3xHxW -> N."""
    s, _ = ssim_maps(_ssim_input(pred, protocol), _ssim_input(gt, protocol), protocol)
    return s.mean(dim=(1, 2, 3))


def ms_ssim(pred: torch.Tensor, gt: torch.Tensor, protocol: Protocol,
            weights: tuple[float, ...] = MS_SSIM_WEIGHTS,
            filter_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = filter_valid,
            floor: float | None = None) -> torch.Tensor:
    """MS-SSIM per image (product form) over ``len(weights)`` scales (five by default). Prepared Nx3xHxW, at
    least 11 * 2^(scales-1) px a side (176 for five scales) -> N. ``filter_fn`` as in :func:`ssim_maps`.
    ``floor``: each scale's mean is raised to at least this before its fractional power (a training loss's
    guard: a negative mean, possible at coarse scales of small anti-correlated patches, has no real power and
    would make the loss and its gradient NaN); None keeps the metric's own values."""
    a, b = _ssim_input(pred, protocol), _ssim_input(gt, protocol)
    means = []
    for level in range(len(weights)):
        s, cs = ssim_maps(a, b, protocol, filter_fn)
        if level < len(weights) - 1:
            means.append(cs.mean(dim=(1, 2, 3)))
            pad = (a.shape[-2] % 2, a.shape[-1] % 2)
            a, b = F.avg_pool2d(a, 2, padding=pad), F.avg_pool2d(b, 2, padding=pad)
    means.append(s.mean(dim=(1, 2, 3)))
    if floor is not None:
        means = [m.clamp(min=floor) for m in means]
    out = means[-1] ** weights[-1]
    for mean, weight in zip(means[:-1], weights[:-1], strict=True):
        out = out * mean**weight
    return out


@register_metric(
    "psnr",
    kind="fr",
    higher_is_better=True,
    description="peak signal-to-noise ratio in dB on the protocol's channels (psnr_color)",
)
class PSNR(ImageMetric):
    """PSNR per image under a protocol (see :func:`psnr`); on the CPU in one compiled pass over the batch
    (:func:`benchmark.metrics.pixel_cpu.mean_squared_error`)."""

    def score(self, pred: torch.Tensor, gt: torch.Tensor | None = None) -> torch.Tensor:
        if self.device.type != "cpu":
            return super().score(pred, gt)
        self.check_pair(pred, gt)
        mse = mean_squared_error(pred.cpu(), gt.cpu(), self.protocol, luma(self.protocol.psnr_color))
        return psnr_from_mse(mse, self.protocol)

    def score_prepared(self, pred: torch.Tensor, gt: torch.Tensor | None) -> torch.Tensor:
        return psnr(pred, gt, self.protocol)


@register_metric(
    "ssim",
    kind="fr",
    higher_is_better=True,
    description="structural similarity (window, colour, covariance as the protocol says)",
)
class SSIM(ImageMetric):
    """Mean SSIM per image under a protocol (see :func:`ssim`)."""

    cpu_chunk = 1

    def score_prepared(self, pred: torch.Tensor, gt: torch.Tensor | None) -> torch.Tensor:
        return ssim(pred, gt, self.protocol)


@register_metric(
    "ms_ssim",
    kind="fr",
    higher_is_better=True,
    description="five-scale MS-SSIM (product form, pyiqa's 2x2 average-pool pyramid)",
)
class MSSSIM(ImageMetric):
    """MS-SSIM per image under a protocol (see :func:`ms_ssim`)."""

    cpu_chunk = 1

    def score_prepared(self, pred: torch.Tensor, gt: torch.Tensor | None) -> torch.Tensor:
        return ms_ssim(pred, gt, self.protocol)
