"""Classical methods: each runs on any batch shape and improves PSNR on its own degradation.

Degradations come from the degrade operators with fixed parameters and seeds; clean images are three 160x160
Kodak crops (scikit-image photos when ../shared is absent). Thresholds are mean PSNR gains in dB with a
margin below what the methods reach here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from core_helpers import mean_gain

import models
from restorebench.errors import InputError

NOISE25 = {"sigma": 25.0, "gray": False}


def restorer(name: str, **options):
    return models.load(name, allow_academic=True, **options).restore_image


@pytest.mark.parametrize("name", models.list_models(family="classical", exclude="bm3d"))  # bm3d: below
def test_every_classical_entry_keeps_the_batch_shape(name):
    x = torch.rand(1, 3, 67, 93, generator=torch.Generator().manual_seed(0)) * 0.8 + 0.1
    r = models.load(name, allow_academic=True)
    y = r(x)
    assert y.shape == x.shape and y.dtype == torch.float32
    assert torch.isfinite(y).all() and y.min() >= 0 and y.max() <= 1


@pytest.mark.parametrize("name, options, min_gain", [
    ("dct-denoise", {}, 7.0),
    ("nlm", {"sigma": 25}, 3.0),
])
def test_denoisers_improve_sigma25(clean_crops, name, options, min_gain):
    before, after = mean_gain(restorer(name, **options), clean_crops, "noise.gaussian", **NOISE25)
    assert after - before > min_gain, (before, after)


def test_bm3d_improves_sigma25_behind_its_opt_in(clean_crops):
    pytest.importorskip("bm3d", reason="optional extra [bm3d] not installed")
    before, after = mean_gain(restorer("bm3d", sigma=25), [clean_crops[0][:64, :64]], "noise.gaussian", **NOISE25)
    assert after - before > 4.5, (before, after)
    with pytest.raises(InputError, match="non-commercial.*RESTOREBENCH_ACADEMIC=1"):
        models.load("bm3d", allow_academic=False)


def test_dark_channel_prior_dehazes(clean_crops):
    before, after = mean_gain(restorer("dcp"), clean_crops, "haze.atmospheric", beta=1.3, airlight=0.9,
                              tint=0.0, space="srgb")
    assert after - before > 4.0, (before, after)


@pytest.mark.parametrize("name, min_gain", [("lime", 2.0), ("clahe-gamma", 2.0)])
def test_low_light_enhancers_brighten(clean_crops, name, min_gain):
    before, after = mean_gain(restorer(name), clean_crops, "lowlight.darken", factor=0.1, gamma=1.0, photons=None,
                              read_noise=0.0)
    assert after - before > min_gain, (before, after)


@pytest.mark.parametrize("name, options", [("wiener", {"kernel": {"gaussian": 2.0}}), ("wiener", {}),
                                           ("richardson-lucy", {"kernel": {"gaussian": 2.0}}),
                                           ("richardson-lucy", {})])
def test_deconvolution_with_given_or_estimated_kernel(clean_crops, name, options):
    before, after = mean_gain(restorer(name, **options), clean_crops, "blur.gaussian", sigma_x=2.0, sigma_y=2.0,
                              angle_deg=0.0)
    assert after - before > 0.8, (before, after)


def test_gaussian_psf_estimate_recovers_the_blur_width(clean_crops):
    import degrade
    from models.classical.psf import estimate_gaussian_sigma

    for s in (1.5, 3.0):
        est = [estimate_gaussian_sigma(degrade.get("blur.gaussian").apply(c, {"sigma_x": s, "sigma_y": s,
                                                                                "angle_deg": 0.0}))
               for c in clean_crops]
        assert abs(float(np.median(est)) - s) < 0.35 * s, (s, est)


def test_jpeg_deblocking_improves_q10_and_estimates_the_quality(clean_crops):
    import degrade
    from models.classical.jpeg_deblock import YCBCR, estimate_quality

    before, after = mean_gain(restorer("jpeg-deblock"), clean_crops, "jpeg.compress", quality=10, subsampling="420")
    assert after - before > 0.3, (before, after)
    for q in (10, 30, 60):
        bad = degrade.get("jpeg.compress").apply(clean_crops[1], {"quality": q, "subsampling": "420"})
        assert estimate_quality((bad @ (255 * YCBCR[0])).astype(np.float32)) == q


def test_derain_removes_streaks(clean_crops):
    before, after = mean_gain(restorer("derain"), clean_crops, "rain.streaks", density=0.007, length=28.0,
                              angle_deg=-10.0, width=1.5, brightness=0.55, layers=3, accumulation=0.0,
                              airlight=0.8)
    assert after - before > 1.0, (before, after)


def test_classical_options_are_validated():
    with pytest.raises(InputError, match="unknown option"):
        models.load("dcp", sigma=3)
    with pytest.raises(InputError, match="sigma"):
        models.load("nlm", sigma=-1)
    with pytest.raises(InputError, match="kernel"):
        models.load("wiener", kernel=[[0.5, 0.5]])
    with pytest.raises(InputError, match="quality"):
        models.load("jpeg-deblock", quality=0)
    with pytest.raises(InputError, match="takes no weight file"):
        models.load("nlm", weights="/tmp/x.pth")
