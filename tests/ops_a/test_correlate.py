"""Compiled tap correlation and the routes of degrade.filtering.convolve, against scipy's float64 correlation."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage

from degrade import filtering
from degrade.correlate import PLATEAU_MIN, correlate, tap_plan
from degrade.kernels import disk_kernel, gaussian_kernel, trajectory_kernel


def reference(img: np.ndarray, kernel: np.ndarray, flip: bool) -> np.ndarray:
    """Float64 correlation (convolution when ``flip``) per channel, reflect-101 borders ('mirror' in scipy)."""
    k = np.asarray(kernel, np.float64)[::-1, ::-1] if flip else np.asarray(kernel, np.float64)
    return np.stack([ndimage.correlate(img[..., c].astype(np.float64), k, mode="mirror")
                     for c in range(img.shape[2])], axis=-1)


def image(h: int = 41, w: int = 53, c: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((h, w, c), dtype=np.float32)


def plateau_kernel() -> np.ndarray:
    """A 9x7 kernel whose most frequent weight lies in broken and ragged column runs, beside distinct taps."""
    k = np.zeros((9, 7), np.float32)
    k[1:8, 1:6] = 0.02
    k[4, 3] = 0.0  # a hole splits the centre column into two runs
    k[0, 2], k[8, 4], k[3, 0], k[6, 6] = 0.05, 0.07, 0.03, 0.01
    return (k / k.sum(dtype=np.float64)).astype(np.float32)


KERNELS = {
    "disk1": disk_kernel(1),
    "disk6": disk_kernel(6),
    "disk10": disk_kernel(10),
    "shake": trajectory_kernel(np.random.default_rng(3), 15),
    "plateau": plateau_kernel(),
    "sparse": np.where(np.random.default_rng(1).random((5, 11)) < 0.4,
                       np.random.default_rng(2).random((5, 11)), 0.0).astype(np.float32),
}


@pytest.mark.parametrize("name", sorted(KERNELS))
@pytest.mark.parametrize("channels", [1, 2, 3])
def test_correlate_equals_float64_reference(name, channels):
    img = image(c=channels)
    k = KERNELS[name]
    out = correlate(img, k)
    assert out.shape == img.shape and out.dtype == np.float32
    assert np.abs(out - reference(img, k, flip=False)).max() < 2e-6


def test_plateau_of_a_disk_is_summed_as_runs():
    k = disk_kernel(6)
    plan = tap_plan(k)
    assert np.count_nonzero(k) == 137 and plan.loads == 62
    assert plan.plateau_cols.size == 11 and plan.scale == k[6, 6]
    assert plan.tap_weights.size == 137 - 97


def test_kernel_without_a_plateau_is_all_taps():
    k = KERNELS["shake"]
    plan = tap_plan(k)
    assert plan.runs.size == 0 and plan.scale == 1.0
    assert plan.loads == plan.tap_weights.size == np.count_nonzero(k)


def test_broken_runs_keep_their_remainder_as_taps():
    k = plateau_kernel()
    plan = tap_plan(k)
    on_plateau = sum(int(b - a + 1) for a, b in plan.runs[plan.plateau_runs])
    assert np.count_nonzero(k == plan.scale) >= PLATEAU_MIN
    assert on_plateau + plan.tap_weights.size == np.count_nonzero(k)
    assert plan.loads < np.count_nonzero(k)


def test_clip_clamps_in_the_same_pass():
    img = image()
    img[10:20, 10:20] = 1.0
    k = KERNELS["sparse"] * 1.5  # sums above 1: outputs above 1 where the image is bright
    raw = correlate(img, k)
    assert raw.max() > 1.0
    np.testing.assert_array_equal(correlate(img, k, clip=True), np.clip(raw, 0.0, 1.0))


def test_kernel_radius_must_be_below_the_image_sides():
    with pytest.raises(ValueError, match="larger than its radius"):
        correlate(image(5, 20), disk_kernel(6))


ROUTES = {
    "direct": disk_kernel(2),
    "separable": gaussian_kernel(3.0, 3.0, 0.0),
    "taps": disk_kernel(6),
    "dft": gaussian_kernel(4.0, 1.5, 30.0),
}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_each_convolve_route_equals_the_reference(route):
    k = ROUTES[route]
    kf = np.ascontiguousarray(k[::-1, ::-1])
    assert filtering._route(kf.shape, kf.tobytes())[0] == route
    img = image(48, 56)
    assert np.abs(filtering.convolve(img, k) - reference(img, k, flip=True)).max() < 2e-6


def test_kernel_taller_than_the_image_falls_back_to_opencv():
    img = image(9, 40)
    k = trajectory_kernel(np.random.default_rng(5), 21)
    kf = np.ascontiguousarray(k[::-1, ::-1])
    assert filtering._route(kf.shape, kf.tobytes())[0] == "taps" and k.shape[0] // 2 >= 9
    expected = cv2.filter2D(img, -1, kf, borderType=cv2.BORDER_REFLECT_101)
    np.testing.assert_array_equal(filtering.convolve(img, k), expected)


def test_same_bits_on_every_call_and_for_copies():
    img = image(64, 64)
    k = KERNELS["shake"]
    a = correlate(img, k)
    assert a.tobytes() == correlate(img.copy(), k.copy()).tobytes()
    assert a.tobytes() == correlate(np.asfortranarray(img), k).tobytes()
