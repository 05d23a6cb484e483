"""Scoring metrics: pixel (PSNR, SSIM, MS-SSIM), perceptual (LPIPS, DISTS), no-reference (NIQE, MUSIQ,
CLIP-IQA via pyiqa) and distribution (FID, KID) metrics behind one registry.

Public API (stable; the benchmark runner relies on it):

- :func:`list_metrics` (pattern, kind=..., higher_is_better=...) -> names; :func:`metric_info` -> dict (name, kind "fr"/"nr"/"dist", higher_is_better,
  description, weights [WeightFile], alternatives [groups of WeightFile: any one of each group is enough], available, reason);
- :func:`build_metric` (name, protocol, device, **options) -> a Metric with ``score``/``update``/``compute``;
- :mod:`benchmark.metrics.functional`: every metric as a function of (pred, gt) batches.
"""

from __future__ import annotations

import torch

from benchmark.metrics.base import METRICS, ImageMetric, Metric, SetMetric, availability, registered, spec
from benchmark.protocols import Protocol

__all__ = ["METRICS", "ImageMetric", "Metric", "SetMetric", "build_metric", "list_metrics", "metric_info"]


def list_metrics(pattern: str = "*", kind: str | None = None, higher_is_better: bool | None = None) -> list[str]:
    """Registered metric names matching a shell ``pattern``, optionally of one ``kind`` ("fr"/"nr"/"dist")
    or direction, sorted."""
    return registered(pattern, kind=kind, higher_is_better=higher_is_better)


def metric_info(name: str) -> dict:
    """What a metric is and whether it can run here (its weight files present with the right sha256)."""
    s = spec(name)
    ok, reason = availability(s)
    return {
        "name": s.name,
        "kind": s.kind,
        "higher_is_better": s.higher_is_better,
        "description": s.description,
        "weights": list(s.weights),
        "alternatives": list(s.alternatives),
        "available": ok,
        "reason": reason,
    }


def build_metric(
    name: str, protocol: str | Protocol = "basicsr", device: str | torch.device = "cpu", **options
) -> Metric:
    """An instance of metric ``name`` under ``protocol`` on ``device`` (missing weights raise
    WeightsUnavailable with the one-line message of where to put which file)."""
    return spec(name).build(protocol=protocol, device=device, **options)
