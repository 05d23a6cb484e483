"""Properties every registered metric must have (parametrized over the registry)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmark.metrics import functional, list_metrics, metric_info
from benchmark.metrics.base import KINDS, ImageMetric, SetMetric, spec
from restorebench.errors import InputError

METRICS = list_metrics()
"""Every registered metric: registering one adds it to these tests."""


def pair(n: int = 2, side: int = 192) -> tuple[torch.Tensor, torch.Tensor]:
    """(pred, gt) Nx3xHxW in [0,1]: smooth gradients and a noisy copy of them (fixed generator)."""
    g = torch.Generator().manual_seed(3)
    ramp = torch.linspace(0, 1, side)
    gt = torch.stack([torch.stack([ramp[None, :] * ramp[:, None], ramp[None, :].expand(side, side),
                                   1 - ramp[:, None].expand(side, side)]) * (0.6 + 0.2 * i) for i in range(n)])
    pred = (gt + 0.08 * torch.randn(gt.shape, generator=g)).clamp(0, 1)
    return pred, gt


@pytest.mark.parametrize("name", METRICS)
def test_registry_entry_describes_the_metric(name):
    s = spec(name)
    info = metric_info(name)
    assert s.kind in KINDS and info["description"] and isinstance(info["available"], bool)
    assert issubclass(s.factory, SetMetric if s.kind == "dist" else ImageMetric)


@pytest.mark.parametrize("name", [m for m in METRICS if spec(m).kind != "dist"])
def test_per_image_scores_are_deterministic_and_rank_the_reference_first(name):
    info = metric_info(name)
    if not info["available"]:
        pytest.skip(info["reason"])
    pred, gt = pair()
    metric = spec(name).build("rgb")
    ref = gt if info["kind"] == "fr" else None
    a = metric.score(pred, ref)
    assert a.dtype == torch.float64 and a.shape == (2,) and torch.isfinite(a).all()
    assert torch.equal(a, functional.score(name, pred, ref, protocol="rgb"))
    metric.update(pred, ref)
    assert metric.compute() == pytest.approx(float(a.mean()))
    if info["kind"] == "fr":
        best = metric.score(gt, gt)
        better = best >= a if info["higher_is_better"] else best <= a
        assert better.all()


@pytest.mark.parametrize("name", [m for m in METRICS if spec(m).kind == "fr"])
def test_full_reference_metrics_need_a_reference(name):
    if not metric_info(name)["available"]:
        pytest.skip(metric_info(name)["reason"])
    pred, _ = pair(1)
    with pytest.raises(InputError, match="full-reference"):
        spec(name).build("rgb").score(pred)


def test_named_functions_equal_the_classes():
    pred, gt = pair(1)
    for fn, name in ((functional.psnr, "psnr"), (functional.ssim, "ssim"), (functional.ms_ssim, "ms_ssim")):
        assert torch.equal(fn(pred, gt, "promptir"), spec(name).build("promptir").score(pred, gt))
    calls = {"lpips": lambda: functional.lpips(pred, gt), "lpips-vgg": lambda: functional.lpips(pred, gt, "vgg"),
             "dists": lambda: functional.dists(pred, gt)}
    for name, call in calls.items():
        if metric_info(name)["available"]:
            assert np.array_equal(call().numpy(), spec(name).build().score(pred, gt).numpy())


def test_set_metrics_are_refused_by_the_functional_form():
    with pytest.raises(InputError, match="scores sets"):
        functional.score("kid", *pair(1))
