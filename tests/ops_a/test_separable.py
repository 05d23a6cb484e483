"""Compiled separable correlation (degrade.separable), against scipy's float64 correlation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from degrade.kernels import gaussian_factors
from degrade.separable import correlate_separable, reflect_101_index


def reference(img: np.ndarray, column: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Float64 correlation of each channel with outer(column, row), reflect-101 borders (scipy's 'mirror')."""
    k = np.outer(column.astype(np.float64), row.astype(np.float64))
    return np.stack([ndimage.correlate(img[..., c].astype(np.float64), k, mode="mirror")
                     for c in range(img.shape[2])], axis=-1)


def image(h: int = 37, w: int = 45, c: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((h, w, c), dtype=np.float32)


def gaussian(length: int) -> np.ndarray:
    """A symmetric unit-sum float32 factor of ``length`` taps."""
    t = np.arange(length) - length // 2
    g = np.exp(-0.5 * (t / max(length / 6, 0.3)) ** 2)
    return (g / g.sum()).astype(np.float32)


def skewed(length: int, seed: int) -> np.ndarray:
    """An asymmetric unit-sum float32 factor of ``length`` taps."""
    g = np.random.default_rng(seed).random(length) + 0.1
    return (g / g.sum()).astype(np.float32)


# lengths that use every group of mirrored pairs: 1 pair, 4, 6, 12, 16 (6+6+4), 17 (6+6+4+1)
@pytest.mark.parametrize("length", [1, 3, 9, 13, 25, 33, 35])
@pytest.mark.parametrize("channels", [1, 2, 3])
def test_symmetric_factors_equal_the_float64_reference(length, channels):
    img = image(c=channels)
    column, row = gaussian(length), gaussian(max(1, length - 4 if length > 5 else length))
    out = correlate_separable(img, column, row)
    assert out.shape == img.shape and out.dtype == np.float32
    assert np.abs(out - reference(img, column, row)).max() < 2e-6


@pytest.mark.parametrize("length", [3, 7, 11])
def test_asymmetric_factors_equal_the_float64_reference(length):
    img = image()
    column, row = skewed(length, 1), skewed(length + 2, 2)
    assert np.abs(correlate_separable(img, column, row) - reference(img, column, row)).max() < 2e-6


def test_factors_longer_than_the_image_reflect_again():
    img = image(16, 20)
    column, row = gaussian_factors(12.0, 12.0)
    assert column.size // 2 > 20
    assert np.abs(correlate_separable(img, column, row) - reference(img, column, row)).max() < 2e-6


@pytest.mark.parametrize("n,radius", [(1, 3), (2, 5), (5, 2), (5, 13), (16, 50)])
def test_reflect_101_index_is_numpy_reflect_padding(n, radius):
    line = np.arange(n)
    np.testing.assert_array_equal(line[reflect_101_index(n, radius)], np.pad(line, radius, mode="reflect"))


def test_clip_clamps_in_the_same_pass():
    img = image()
    img[10:20, 10:20] = 1.0
    column, row = gaussian(9) * 1.5, gaussian(7)
    raw = correlate_separable(img, column, row)
    assert raw.max() > 1.0
    np.testing.assert_array_equal(correlate_separable(img, column, row, clip=True), np.clip(raw, 0.0, 1.0))


def test_same_bits_on_every_call_and_for_any_layout():
    img = image(64, 64)
    column, row = gaussian_factors(3.0, 2.0)
    a = correlate_separable(img, column, row)
    assert a.tobytes() == correlate_separable(img.copy(), column.copy(), row.copy()).tobytes()
    assert a.tobytes() == correlate_separable(np.asfortranarray(img), column, row).tobytes()


def test_even_factors_are_refused():
    with pytest.raises(ValueError, match="odd lengths"):
        correlate_separable(image(), np.full(4, 0.25, np.float32), gaussian(3))
