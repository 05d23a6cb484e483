"""PSNR and SSIM under each named convention against independent references (skimage, BasicSR's formulas
written here with OpenCV/numpy), to 1e-6."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from skimage.color import rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from benchmark.metrics import build_metric
from benchmark.protocols import get_protocol, list_protocols
from restorebench.errors import InputError
from tests.metrics.conftest import to_batch


def basicsr_y(img255: np.ndarray) -> np.ndarray:
    """BasicSR to_y_channel: RGB on the 0-255 scale -> Y (BT.601 limited range, 16-235), float64."""
    return 16.0 + img255 @ np.array([65.481, 128.553, 24.966]) / 255.0


def basicsr_ssim_channel(a: np.ndarray, b: np.ndarray) -> float:
    """BasicSR's _ssim on one 0-255 channel: cv2 Gaussian 11x11 sigma 1.5, valid region [5:-5, 5:-5]."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    k = cv2.getGaussianKernel(11, 1.5)
    w = k @ k.T
    f = lambda x: cv2.filter2D(x, -1, w)[5:-5, 5:-5]
    mu1, mu2 = f(a), f(b)
    s1, s2, s12 = f(a * a) - mu1**2, f(b * b) - mu2**2, f(a * b) - mu1 * mu2
    m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1**2 + mu2**2 + c1) * (s1 + s2 + c2))
    return float(m.mean())


def basicsr_reference(pred: np.ndarray, gt: np.ndarray, crop: int, quantize) -> tuple[float, float]:
    """(PSNR-Y, SSIM-Y) as BasicSR computes them on uint8-scale images."""
    a, b = quantize(pred), quantize(gt)
    if crop:
        a, b = a[crop:-crop, crop:-crop], b[crop:-crop, crop:-crop]
    ya, yb = basicsr_y(a), basicsr_y(b)
    psnr = 10 * np.log10(255.0**2 / np.mean((ya - yb) ** 2))
    return psnr, basicsr_ssim_channel(ya, yb)


def scores(name: str, protocol, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    return build_metric(name, protocol).score(to_batch(pred), to_batch(gt)).numpy()


@pytest.mark.parametrize("crop", [0, 4])
@pytest.mark.parametrize("quantize", ["round", "trunc"])
def test_basicsr_conventions(pairs, crop, quantize):
    pred, gt = pairs
    proto = get_protocol("basicsr").with_(name="t", crop_border=crop, quantize=quantize)
    q = (
        (lambda x: np.round(x.astype(np.float64) * 255))
        if quantize == "round"
        else (lambda x: np.floor(x.astype(np.float64) * 255 + 1e-3))
    )
    ref = np.array([basicsr_reference(p, g, crop, q) for p, g in zip(pred, gt)])
    np.testing.assert_allclose(scores("psnr", proto, pred, gt), ref[:, 0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(scores("ssim", proto, pred, gt), ref[:, 1], rtol=0, atol=1e-6)


def test_truncation_differs_from_rounding(pairs):
    pred, gt = pairs
    r = scores("psnr", get_protocol("basicsr"), pred, gt)
    t = scores("psnr", get_protocol("basicsr").with_(name="t", quantize="trunc"), pred, gt)
    assert np.all(np.abs(r - t) > 1e-4)


def test_y601_matches_skimage_rgb2ycbcr(pairs):
    pred, gt = pairs
    proto = get_protocol("basicsr").with_(name="t", quantize="none")
    ya = rgb2ycbcr(pred.astype(np.float64))[..., 0]
    yb = rgb2ycbcr(gt.astype(np.float64))[..., 0]
    ref = [10 * np.log10(255.0**2 / np.mean((a - b) ** 2)) for a, b in zip(ya, yb)]
    np.testing.assert_allclose(scores("psnr", proto, pred, gt), ref, rtol=0, atol=1e-6)


def test_promptir_matches_skimage(pairs):
    pred, gt = pairs
    pred, gt = pred[:, :100, :90], gt[:, :100, :90]  # crop_multiple 16 -> 96x80
    p64, g64 = pred[:, :96, :80].astype(np.float64), gt[:, :96, :80].astype(np.float64)
    ref_psnr = [peak_signal_noise_ratio(g, p, data_range=1) for p, g in zip(p64, g64)]
    ref_ssim = [structural_similarity(g, p, data_range=1, channel_axis=2) for p, g in zip(p64, g64)]
    np.testing.assert_allclose(scores("psnr", "promptir", pred, gt), ref_psnr, rtol=0, atol=1e-6)
    np.testing.assert_allclose(scores("ssim", "promptir", pred, gt), ref_ssim, rtol=0, atol=1e-6)


def test_gaussian_window_matches_skimage(pairs):
    pred, gt = (x.astype(np.float64) for x in pairs)
    ref = [
        structural_similarity(
            g, p, data_range=1, channel_axis=2, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
        )
        for p, g in zip(pred, gt)
    ]
    np.testing.assert_allclose(
        scores("ssim", "rgb", pred.astype(np.float32), gt.astype(np.float32)), ref, rtol=0, atol=1e-6
    )


def test_identical_images():
    x = np.random.default_rng(0).random((2, 64, 64, 3), dtype=np.float32)
    assert np.all(np.isinf(scores("psnr", "rgb", x, x)))
    np.testing.assert_allclose(scores("psnr", "pyiqa", x, x), 80.0, atol=1e-9)
    np.testing.assert_allclose(scores("ssim", "basicsr", x, x), 1.0, atol=1e-12)


def test_protocols_are_reportable():
    for name in list_protocols():
        d = get_protocol(name).to_dict()
        assert d["name"] == name and d["source"]
    with pytest.raises(InputError, match="unknown protocol"):
        get_protocol("nope")
    with pytest.raises(InputError, match="ssim_window"):
        get_protocol("rgb").with_(ssim_window="box")


def test_shape_mismatch_is_an_error(pairs):
    pred, gt = pairs
    with pytest.raises(InputError, match="differ in shape"):
        build_metric("psnr", "rgb").score(to_batch(pred[:, :64]), to_batch(gt))


@pytest.mark.parametrize("quantize", ["none", "round", "trunc"])
@pytest.mark.parametrize("color", ["rgb", "y601", "yiq"])
def test_fused_cpu_psnr_equals_the_prepared_float64_formula(pairs, quantize, color):
    """The CPU PSNR (one compiled pass over the float32 batch) equals :func:`pixel.psnr` on batches prepared
    in float64, for every quantization and colour; cropped, channels-last or not, float16/float64 inputs alike."""
    from benchmark.metrics.pixel import psnr
    from benchmark.protocols import prepare

    proto = get_protocol("pyiqa").with_(name="t", quantize=quantize, psnr_color=color, crop_border=3,
                                        crop_multiple=8)
    pred, gt = (to_batch(x[:, :125, :117]) for x in pairs)  # channels-last strides, odd sides
    pred = (pred - 0.01) * 1.02  # values a little outside [0, 1]: quantization clips them
    metric = build_metric("psnr", proto)
    for a, b in ((pred, gt), (pred.contiguous(), gt), (pred.contiguous(), gt.contiguous()), (pred.double(), gt),
                 (pred.half(), gt.half())):
        ref = psnr(prepare(a, proto), prepare(b, proto), proto)
        torch.testing.assert_close(metric.score(a, b), ref, rtol=0, atol=1e-11)


@pytest.mark.parametrize("window", ["gaussian11", "uniform7"])
def test_device_filter_equals_cpu_filter(window):
    """The conv2d filtering that CUDA runs equals the OpenCV filtering of the CPU path."""
    from benchmark.metrics.pixel import filter_valid_conv, filter_valid_cv2, window_1d

    x = torch.from_numpy(np.random.default_rng(1).random((2, 5, 40, 33))) * 255
    w = window_1d(window)
    torch.testing.assert_close(filter_valid_conv(x, w), filter_valid_cv2(x, w), rtol=0, atol=1e-10)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", ["psnr", "ssim", "ms_ssim"])
@pytest.mark.parametrize("protocol", ["basicsr", "promptir", "pyiqa"])
def test_cuda_matches_cpu(pairs, name, protocol):
    pred, gt = (np.tile(x, (1, 2, 2, 1)) for x in pairs)  # 256 px: enough for MS-SSIM
    cpu = build_metric(name, protocol).score(to_batch(pred), to_batch(gt))
    gpu = build_metric(name, protocol, "cuda").score(to_batch(pred), to_batch(gt))
    torch.testing.assert_close(gpu, cpu, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", ["psnr", "ssim"])
def test_a_batch_scores_as_its_images_one_by_one(pairs, name):
    """Batched scores equal the per-image scores bit for bit (SSIM runs image by image on the CPU)."""
    pred, gt = (to_batch(x) for x in pairs)
    metric = build_metric(name, "basicsr")
    alone = torch.cat([metric.score(pred[i:i + 1], gt[i:i + 1]) for i in range(len(pred))])
    assert torch.equal(metric.score(pred, gt), alone)
