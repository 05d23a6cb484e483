"""FID/KID: the offline TF-FID InceptionV3, streaming statistics against two-pass scipy computations, the
low-rank path against the covariance path, resize conventions, batching."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import scipy.linalg
import torch

from benchmark.metrics import build_metric, metric_info
from benchmark.metrics.fid import (
    FeatureStats,
    frechet_distance,
    frechet_distance_features,
    inception_file,
    inception_input,
    kernel_distance,
)
from tests.metrics.conftest import to_batch


def scipy_fid(f1: np.ndarray, f2: np.ndarray) -> float:
    """Two-pass reference (pytorch-fid's formula): np.cov and scipy.linalg.sqrtm of the full matrices."""
    mu1, mu2 = f1.mean(0), f2.mean(0)
    c1, c2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    covmean = scipy.linalg.sqrtm(c1 @ c2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * np.trace(covmean))


@pytest.fixture(scope="module")
def feats() -> tuple[np.ndarray, np.ndarray]:
    """Two correlated 600x64 feature sets (more samples than dims: full-rank covariances)."""
    rng = np.random.default_rng(3)
    mix = rng.normal(size=(64, 64)) / 8
    a = rng.normal(size=(600, 64)) @ mix + 1.0
    b = rng.normal(size=(600, 64)) @ (mix + 0.05 * rng.normal(size=(64, 64))) + 1.1
    return a, b


def test_streaming_equals_two_pass(feats):
    a, b = feats
    s1, s2 = FeatureStats(64, keep=0), FeatureStats(64, keep=0)
    for i in range(0, 600, 128):
        s1.update(torch.from_numpy(a[i : i + 128]).float())
        s2.update(torch.from_numpy(b[i : i + 128]).float())
    assert s1.features() is None  # nothing kept: constant memory
    a32, b32 = a.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64)
    ref = scipy_fid(a32, b32)
    assert ref > 0.1
    np.testing.assert_allclose(frechet_distance(*s1.mean_cov(), *s2.mean_cov()), ref, rtol=1e-8)


def test_low_rank_path_equals_covariance_path(feats):
    a, b = feats[0][:40], feats[1][:30]  # fewer samples than dims: singular covariances
    s1, s2 = FeatureStats(64), FeatureStats(64)
    s1.update(torch.from_numpy(a))
    s2.update(torch.from_numpy(b))
    np.testing.assert_allclose(
        frechet_distance_features(s1.features(), s2.features()),
        frechet_distance(*s1.mean_cov(), *s2.mean_cov()),
        rtol=1e-6,
    )
    np.testing.assert_allclose(frechet_distance_features(a, b), scipy_fid(a, b), rtol=1e-6)


def test_merge_equals_single_stream(feats):
    a, _ = feats
    whole, left, right = FeatureStats(64, keep=0), FeatureStats(64, keep=0), FeatureStats(64, keep=0)
    whole.update(torch.from_numpy(a))
    left.update(torch.from_numpy(a[:250]))
    right.update(torch.from_numpy(a[250:]))
    left.merge(right)
    for x, y in zip(left.mean_cov(), whole.mean_cov()):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)


def test_kid_matches_direct_formula(feats):
    a, b = feats[0][:40], feats[1][:40]
    m, d = 40, a.shape[1]
    k = lambda u, v: (u @ v.T / d + 1) ** 3
    kxx, kyy, kxy = k(a, a), k(b, b), k(a, b)
    ref = ((kxx.sum() - np.trace(kxx)) + (kyy.sum() - np.trace(kyy))) / (m * (m - 1)) - 2 * kxy.mean()
    # subsets as large as both sets are permutations of them: the unbiased MMD^2 of the whole sets
    np.testing.assert_allclose(kernel_distance(a, b, subsets=3, subset_size=1000, seed=5), ref, rtol=1e-10)
    assert kernel_distance(a, b, subsets=20, subset_size=10, seed=5) != kernel_distance(a, b, 20, 10, seed=6)


def test_resize_conventions_agree():
    x = to_batch(np.random.default_rng(0).random((2, 100, 150, 3), dtype=np.float32))
    clean, torch_ = inception_input(x, "clean"), inception_input(x, "torch")
    assert clean.shape == (2, 3, 299, 299)
    assert float(clean.min()) >= -1 and float(clean.max()) <= 255 / 128 - 1
    assert float((clean - torch_).abs().max()) * 128 < 0.05  # under 1/20 of a level apart


@pytest.fixture(scope="module")
def fid_ready():
    info = metric_info("fid")
    if not info["available"]:
        pytest.skip(f"fid: {info['reason']}")


def test_inception_file_is_the_recorded_one(fid_ready):
    data = inception_file().read_bytes()
    assert hashlib.sha1(data).hexdigest() == "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"


def test_inception_batching_is_invisible(fid_ready, pairs):
    pred, _ = pairs
    fid = build_metric("fid", "rgb")
    x = to_batch(pred[:2, :96, :96])
    batched = fid.extractor(x)
    assert batched.shape == (2, 2048) and torch.isfinite(batched).all() and float(batched.std()) > 0
    np.testing.assert_allclose(fid.extractor(x[1:]).numpy(), batched[1:].numpy(), rtol=1e-4, atol=1e-4)


def test_fp16_features_are_closer_to_fp32_than_bf16(fid_ready, pairs):
    pred, _ = pairs
    x = to_batch(pred[:2, :96, :96])
    feats = {p: build_metric("fid", "rgb", precision=p).extractor(x).double() for p in ("fp32", "fp16", "bf16")}
    err = {p: float((feats[p] - feats["fp32"]).abs().max() / feats["fp32"].abs().max()) for p in ("fp16", "bf16")}
    assert 0 < err["fp16"] < 1e-2 and err["fp16"] < err["bf16"] / 3, err  # 3 more mantissa bits: ~8x smaller
