"""Agreement with the field's references: pyiqa's own functions (the ``pyiqa`` protocol reproduces them) and
the official values on pyiqa's five TID2013 calibration pairs, within pyiqa's own test tolerances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from benchmark.metrics import build_metric, metric_info
from benchmark.metrics.backbones import LPIPS_HEADS
from restorebench import weights as rw
from restorebench.imageio import read_image
from tests.metrics.conftest import to_batch

NAMES = ["I03", "I04", "I06", "I08", "I19"]
TOLERANCE = {"niqe": (1e-2, 6e-2), "musiq": (1e-2, 3e-2), "lpips": (1e-4, 0), "dists": (1e-4, 0)}
"""(atol, rtol) per metric as in pyiqa's tests/test_metric_general.py (1e-2/1e-2 unless given); LPIPS and
DISTS to 1e-4, the precision of the official values."""


def test_pyiqa_protocol_reproduces_pyiqa(pairs):
    from pyiqa.archs.psnr_arch import PSNR
    from pyiqa.archs.ssim_arch import MS_SSIM, SSIM

    pred, gt = pairs
    big_pred = np.tile(pred, (1, 2, 2, 1))  # MS-SSIM needs 176+ px per side
    big_gt = np.tile(gt, (1, 2, 2, 1))
    for name, ref, p, g in (
        ("psnr", PSNR(), pred, gt),
        ("ssim", SSIM(), pred, gt),
        ("ms_ssim", MS_SSIM(), big_pred, big_gt),
    ):
        ours = build_metric(name, "pyiqa").score(to_batch(p), to_batch(g)).numpy()
        theirs = ref(to_batch(p), to_batch(g)).double().numpy().ravel()
        # pyiqa forms the luma in float32 before rounding it to 0-255 levels, we in float64: the few pixels
        # whose luma lies within float32 rounding of a half level round apart (a few 1e-6 of SSIM)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6 if name == "psnr" else 2e-5, err_msg=name)


@pytest.fixture(scope="module")
def tid(shared) -> tuple[torch.Tensor, torch.Tensor, pd.DataFrame]:
    root = shared / "data" / "pyiqa_calibration"
    load = lambda d: to_batch(np.stack([read_image(root / d / f"{n}.bmp") for n in NAMES]))
    official = pd.read_csv(root / "results_official.csv", index_col=0)
    return load("dist_dir"), load("ref_dir"), official


@pytest.mark.parametrize("name", ["psnr", "ssim", "ms_ssim", "niqe", "lpips", "dists", "musiq"])
def test_official_values(tid, name):
    info = metric_info(name)
    if not info["available"]:
        pytest.skip(f"{name}: {info['reason']}")
    dist, ref, official = tid
    metric = build_metric(name, "pyiqa", **({"precision": "fp32"} if name in ("lpips", "dists") else {}))
    values = metric.score(dist, ref if info["kind"] == "fr" else None).numpy()
    atol, rtol = TOLERANCE.get(name, (1e-2, 1e-2))
    expected = official.loc[name, [f"{n}.bmp" for n in NAMES]].to_numpy(float)
    np.testing.assert_allclose(values, expected, atol=atol, rtol=rtol)


def test_lpips_vgg_equals_pyiqa(tid, monkeypatch):
    """No official LPIPS-vgg values exist for these pairs: pyiqa's own LPIPS(net="vgg") with the same backbone
    and the shared v0.1 vgg head is the reference."""
    from pyiqa.archs import lpips_arch

    from tests.metrics.test_learned import fake_torchvision

    info = metric_info("lpips-vgg")
    if not info["available"]:
        pytest.skip(f"lpips-vgg: {info['reason']}")
    dist, ref = (x[..., :192, :256] for x in tid[:2])
    ours = build_metric("lpips-vgg", "pyiqa", precision="fp32")
    fake_torchvision(monkeypatch, lpips_arch, "vgg16", ours.backbone.features)
    head = rw.locate(LPIPS_HEADS["vgg"])
    if head is None:
        pytest.skip(f"pyiqa's LPIPS reads only the .pth head: {rw.missing_message(LPIPS_HEADS['vgg'])}")
    theirs = lpips_arch.LPIPS(net="vgg", pretrained_model_path=str(rw.verify(LPIPS_HEADS["vgg"], head))).eval()
    with torch.no_grad():
        expected = theirs(dist, ref).double().ravel().numpy()
    np.testing.assert_allclose(ours.score(dist, ref).numpy(), expected, atol=1e-5, rtol=0)
