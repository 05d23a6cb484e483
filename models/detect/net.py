"""The degradation detector network: a compact CNN that maps an image to per-label logits and severities.

Four stages of two 3x3 convolutions (batch norm, ReLU), each stage starting with a stride-2 convolution, so
every input pixel is seen at full resolution by the first layer. Each stage's features are summarized by
their spatial mean and standard deviation (fine stages carry noise and JPEG statistics, coarse ones haze,
rain and blur) and, with ``max_pool``, their spatial maximum (local marks, which a mean over the whole image
dilutes), joined with three fixed summaries of the image itself: the per-channel mean and standard deviation
(exposure), the radial power spectrum of its luminance (:func:`spectrum`: blur, low resolution,
noise) and its 8-pixel block grid (:func:`blockiness`: JPEG). With ``drop_map`` a network of its own
(:class:`DropMapper`) maps lens drops cell by cell, trained on the drops' footprint alone (a label that covers
a few percent of the image is not learnt from the image-level label, nor by features shared with the other
labels), and the head sees that map's largest logit and mean probability, detached, so the label loss does not
move the mapper; a linear term of the two also goes straight to the raindrop logit (the map is the one
evidence of drops, and a feature among a thousand is learnt slowly by the head). :func:`mapped_degradation_cnn`
is the detector whose mapper is trained first, as the stage :func:`drop_mapper`, and kept frozen while the rest
learns (``train.stages``).
A two-layer head predicts, for the labels of ``degrade.labels.LABELS``:

* ``logits`` [N, C]: independent (sigmoid) label logits, ``clean`` included;
* ``severity`` [N, C]: the severity (1-5 scale) each label would have if present;
* ``sigma`` [N]: the Gaussian noise level (0-255 units); ``quality`` [N]: the JPEG quality (1-100);
* ``drop_map`` [N, H', W'] (with ``drop_map``): logits of lens-drop coverage per 8 x 8 cell.

Any image size of at least 32 x 32 pixels works (global pooling); inputs are Nx3xHxW in [0,1].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from degrade.labels import LABELS, MAPPED_LABEL

SEVERITY_SCALE = 5.0
SIGMA_SCALE = 50.0
QUALITY_SCALE = 100.0
"""The heads predict targets divided by these (values near 1)."""

SPECTRUM_BINS = 16
JPEG_BLOCK = 8
IMAGE_STATS = 6 + SPECTRUM_BINS + 2 * JPEG_BLOCK
"""Fixed image summaries the head sees beside the stages' pooled features: channel mean and deviation,
:func:`spectrum`, :func:`blockiness`."""
DROP_STATS = 2
"""Summaries of the drop map the head sees: its largest logit (a probability saturates near 1 where drops and
drop-like marks both reach it) and its mean probability."""

SIZES = {"small": {}}
"""Named configurations: one, ``small`` (the shipped weights: 0.59 M parameters, 0.80 M with the drop map)."""


def _conv(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True))


def _stages(widths: Sequence[int]) -> list[nn.Sequential]:
    """Stages of two 3x3 convolutions from RGB, each halving the size first: ``widths`` features each."""
    return [nn.Sequential(_conv(c_in, w, 2), _conv(w, w, 1)) for c_in, w in zip((3, *widths), widths)]


class DropMapper(nn.Sequential):
    """Lens-drop coverage logits per 8 x 8 cell: Nx3xHxW in [0,1] -> [N, H/8, W/8] (sides rounded up). Three
    stages like the detector's first three (``widths``), then a 1x1 convolution."""

    def __init__(self, widths: Sequence[int] = (32, 64, 96)):
        super().__init__(*_stages(widths), nn.Conv2d(widths[-1], 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x - 0.5)[:, 0]


class DropStage(nn.Module):
    """The first training stage of :func:`mapped_degradation_cnn`: its :class:`DropMapper` alone (the same
    submodule name, ``drop``, so the stage's weights load into the detector). Forward: {"drop_map"}."""

    def __init__(self, widths: Sequence[int] = (32, 64, 96)):
        super().__init__()
        self.drop = DropMapper(widths)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"drop_map": self.drop(x)}


def _pool(x: torch.Tensor, max_pool: bool = False) -> torch.Tensor:
    """Per-channel spatial mean and standard deviation of NxCxHxW ``x`` (and maximum with ``max_pool``):
    [N, 2C] or [N, 3C]."""
    flat = x.flatten(2)
    parts = [flat.mean(-1), flat.std(-1)] + ([flat.amax(-1)] if max_pool else [])
    return torch.cat(parts, dim=1)


def spectrum(gray: torch.Tensor, bins: int = SPECTRUM_BINS) -> torch.Tensor:
    """log10 of the mean power of ``gray`` (N x H x W, its mean removed) in ``bins`` rings of radial frequency
    from 0 to the corner of the spectrum: [N, bins]. Blur, low resolution and noise shape its fall-off."""
    h, w = gray.shape[-2:]
    power = torch.fft.rfft2(gray - gray.mean((-2, -1), keepdim=True), norm="ortho").abs().square().flatten(1)
    radius = torch.sqrt(torch.fft.fftfreq(h)[:, None] ** 2 + torch.fft.rfftfreq(w)[None, :] ** 2).flatten()
    ring = (radius / radius.max() * bins).long().clamp(max=bins - 1).to(gray.device)
    total = torch.zeros(len(gray), bins, device=gray.device).index_add_(1, ring, power)
    count = torch.zeros(bins, device=gray.device).index_add_(0, ring, torch.ones_like(ring, dtype=power.dtype))
    return torch.log10(total / count.clamp(min=1) + 1e-10)


def blockiness(gray: torch.Tensor, period: int = JPEG_BLOCK) -> torch.Tensor:
    """JPEG's block grid: the mean absolute step between neighbouring columns (and rows) of ``gray`` folded by
    position modulo ``period``, divided by its mean and sorted (so the grid's phase does not matter):
    [N, 2 * period]; all ones without a grid."""
    out = []
    for step in ((gray[..., :, 1:] - gray[..., :, :-1]).abs().mean(-2),
                 (gray[..., 1:, :] - gray[..., :-1, :]).abs().mean(-1)):
        n = step.shape[-1] // period * period
        folded = step[..., :n].reshape(len(step), -1, period).mean(1)
        out.append((folded / folded.mean(-1, keepdim=True).clamp(min=1e-6)).sort(-1, descending=True).values)
    return torch.cat(out, dim=1)


class DegradationNet(nn.Module):
    """See the module docstring. ``widths``: features of the four stages; ``hidden``: head width;
    ``classes``: number of labels (``len(LABELS)``); ``max_pool``: also pool each stage's spatial maximum;
    ``drop_map``: map lens drops in a branch of their own."""

    def __init__(self, widths: Sequence[int] = (32, 64, 96, 128), hidden: int = 128, classes: int = len(LABELS),
                 max_pool: bool = True, drop_map: bool = False):
        super().__init__()
        self.classes = classes
        self.max_pool = max_pool
        self.stages = nn.ModuleList(_stages(widths))
        self.drop = DropMapper(widths[:3]) if drop_map else None
        self.drop_gain = nn.Linear(DROP_STATS, 1) if drop_map else None
        features = (2 + max_pool) * sum(widths) + IMAGE_STATS + DROP_STATS * drop_map
        self.head = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 2 * classes + 2))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """x: Nx3xHxW in [0,1] -> {"logits", "severity"} [N, C], {"sigma", "quality"} [N] and, with a drop map,
        {"drop_map"} [N, H', W'] (see module doc)."""
        gray = x.mean(1)
        feats = [_pool(x), spectrum(gray) / 10 + 0.5, blockiness(gray) - 1]
        h = x - 0.5
        for stage in self.stages:
            h = stage(h)
            feats.append(_pool(h, self.max_pool))
        drops = None if self.drop is None else self.drop(x)
        if drops is not None:
            logit = drops.detach().flatten(1)
            drop_stats = torch.stack([logit.amax(1), torch.sigmoid(logit).mean(1)], dim=1)
            feats.append(drop_stats)
        out = self.head(torch.cat(feats, dim=1))
        c = self.classes
        if drops is not None:
            k = LABELS.index(MAPPED_LABEL)
            out = torch.cat([out[:, :k], out[:, k:k + 1] + self.drop_gain(drop_stats), out[:, k + 1:]], dim=1)
        result = {"logits": out[:, :c], "severity": out[:, c:2 * c] * SEVERITY_SCALE,
                  "sigma": out[:, 2 * c] * SIGMA_SCALE, "quality": out[:, 2 * c + 1] * QUALITY_SCALE}
        if drops is not None:
            result["drop_map"] = drops
        return result


def degradation_cnn(widths: Sequence[int] = (32, 64, 96, 128), hidden: int = 128,
                    classes: int = len(LABELS), max_pool: bool = True, drop_map: bool = False) -> DegradationNet:
    """The registry factory of the detector network."""
    return DegradationNet(tuple(widths), hidden, classes, max_pool, drop_map)


def mapped_degradation_cnn(widths: Sequence[int] = (32, 64, 96, 128), hidden: int = 128,
                           classes: int = len(LABELS), max_pool: bool = True) -> DegradationNet:
    """The registry factory of a detector with a drop map trained first (the stage :func:`drop_mapper`, whose
    run's final.pth is its ``--init``)."""
    return DegradationNet(tuple(widths), hidden, classes, max_pool, drop_map=True)


def drop_mapper(widths: Sequence[int] = (32, 64, 96)) -> DropStage:
    """The registry factory of the drop-map stage."""
    return DropStage(tuple(widths))


def detect(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Factory arguments read off a state dict."""
    widths, i = [], 0
    while f"stages.{i}.0.0.weight" in state_dict:
        widths.append(int(state_dict[f"stages.{i}.0.0.weight"].shape[0]))
        i += 1
    hidden, features = (int(n) for n in state_dict["head.0.weight"].shape)
    drop_map = "drop.0.0.0.weight" in state_dict
    pooled = features - IMAGE_STATS - DROP_STATS * drop_map
    return {"widths": widths, "hidden": hidden, "classes": (int(state_dict["head.2.weight"].shape[0]) - 2) // 2,
            "max_pool": pooled == 3 * sum(widths), "drop_map": drop_map}
