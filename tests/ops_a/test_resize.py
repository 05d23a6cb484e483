"""resize.down: MATLAB imresize bicubic against a direct loop evaluation, area against OpenCV, torch interior."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import degrade
from degrade.ops.resize.functional import downsample, resize_matrix
from restorebench.errors import InputError
from tests.ops_a.conftest import to_batch


def keys(t: float) -> float:
    """MATLAB's cubic: Keys (1981) with a = -0.5, written piecewise on |t|."""
    t = abs(t)
    if t <= 1:
        return 1.5 * t**3 - 2.5 * t**2 + 1
    if t <= 2:
        return -0.5 * t**3 + 2.5 * t**2 - 4 * t + 2
    return 0.0


def reflect(j: int, n: int) -> int:
    """1-based index folded into 1..n by mirroring at the ends, edge pixel repeated (MATLAB 'symmetric')."""
    while j < 1 or j > n:
        j = 1 - j if j < 1 else 2 * n + 1 - j
    return j


def matlab_bicubic_1d(x: list[float], factor: float) -> list[float]:
    """imresize(x, 1/factor, 'bicubic') of one row, antialiased, by direct summation over the footprint."""
    s, n = 1 / factor, len(x)
    out = []
    for i in range(1, math.ceil(n * s) + 1):
        centre = (i - 0.5) / s + 0.5
        num = den = 0.0
        for j in range(math.floor(centre - 2 / s) - 1, math.ceil(centre + 2 / s) + 2):
            wgt = s * keys((centre - j) * s)
            num += wgt * x[reflect(j, n) - 1]
            den += wgt
        out.append(num / den)
    return out


def matlab_bicubic_2d(img: np.ndarray, factor: float) -> np.ndarray:
    rows = np.array([[matlab_bicubic_1d(list(img[:, c, k]), factor) for c in range(img.shape[1])]
                     for k in range(img.shape[2])])          # (k, c, out_h)
    rows = rows.transpose(2, 1, 0)                            # (out_h, c, k)
    cols = np.array([[matlab_bicubic_1d(list(rows[r, :, k]), factor) for r in range(rows.shape[0])]
                     for k in range(rows.shape[2])])          # (k, out_h, out_w)
    return cols.transpose(1, 2, 0)


@pytest.fixture(scope="module")
def small() -> np.ndarray:
    """A 13x17 RGB array with structure and extremes (a ramp, a checker block, a bright dot)."""
    y, x = np.mgrid[0:13, 0:17]
    img = np.stack([x / 16.0, y / 12.0, ((x // 3 + y // 3) % 2).astype(float)], axis=2)
    img[6, 8] = [1.0, 0.0, 1.0]
    return img.astype(np.float32)


@pytest.mark.parametrize("factor", [2.0, 3.0, 1.5, 4.0])
def test_bicubic_matches_direct_matlab_evaluation(small, factor):
    ours = downsample(small, factor, "bicubic", True, False)
    ref = matlab_bicubic_2d(small.astype(np.float64), factor)
    assert ours.shape == ref.shape == (math.ceil(13 / factor), math.ceil(17 / factor), 3)
    assert np.abs(ours - ref).max() < 1e-5


def test_bicubic_weights_table_at_factor_2():
    # output pixel 10 (1-based) of a 40 -> 20 shrink sits at input position 19.5; its 8 taps (inputs 16..23)
    # lie 3.5, 2.5, 1.5, 0.5 input pixels away, i.e. 1.75, 1.25, 0.75, 0.25 output pixels; weight keys(d) / 2:
    half = [-0.01171875, -0.03515625, 0.11328125, 0.43359375]
    m = resize_matrix(40, 20, 0.5, "bicubic", True)
    assert np.allclose(m[9, 15:23], half + half[::-1], atol=1e-8)
    assert np.count_nonzero(m[9]) == 8


@pytest.mark.parametrize("factor", [2.0, 4.0])
def test_area_matches_opencv_inter_area(factor):
    img = np.random.default_rng(0).random((64, 48, 3), dtype=np.float32)
    ours = downsample(img, factor, "area", True, False)
    ref = cv2.resize(img, (int(48 / factor), int(64 / factor)), interpolation=cv2.INTER_AREA)
    assert np.abs(ours - ref).max() < 1e-6


@pytest.mark.parametrize("kernel", ["bicubic", "bilinear"])
def test_antialiased_interior_matches_torch(kernel):
    # PyTorch's antialiased resize (Pillow's filters, a = -0.5) differs from MATLAB only at the borders
    img = np.random.default_rng(1).random((60, 60, 3), dtype=np.float32)
    ours = downsample(img, 3.0, kernel, True, False)
    ref = F.interpolate(to_batch(img), size=(20, 20), mode=kernel,
                        antialias=True, align_corners=False)[0].permute(1, 2, 0).numpy()
    assert np.abs(ours - ref)[2:-2, 2:-2].max() < 1e-5


def test_sizes_and_upsample_back(crop):
    op = degrade.get("resize.down")
    for factor, kernel in ((2.0, "bicubic"), (3.0, "bilinear"), (1.5, "area")):
        p = {"factor": factor, "kernel": kernel, "antialias": True, "upsample_back": False}
        assert op.apply(crop, p).shape == (math.ceil(96 / factor), math.ceil(128 / factor), 3)
        assert op.apply(crop, {**p, "upsample_back": True}).shape == crop.shape


def test_flat_image_stays_flat(crop):
    flat = np.full_like(crop, 0.3)
    for kernel in ("bicubic", "bilinear", "area"):
        for aa in (True, False):
            out = degrade.get("resize.down").apply(flat, {"factor": 2.5, "kernel": kernel, "antialias": aa,
                                                         "upsample_back": True})
            assert np.abs(out - 0.3).max() < 1e-6


def test_antialias_suppresses_aliasing():
    # a 2-pixel-period grating shrunk 3x: point sampling keeps full-contrast (aliased) stripes, the
    # stretched kernel low-passes it to nearly flat gray
    x = np.tile(np.array([0.0, 1.0], np.float32), 33)
    img = np.repeat(np.repeat(x[None, :, None], 30, 0), 3, 2)
    aliased = downsample(img, 3.0, "bilinear", False, False)[:, 2:-2]
    filtered = downsample(img, 3.0, "bilinear", True, False)[:, 2:-2]
    assert aliased.std() > 0.45
    assert filtered.std() < 0.1 and abs(filtered.mean() - 0.5) < 0.02  # contrast down ~9x


def test_batch_with_mixed_output_sizes_is_refused(crop):
    op = degrade.get("resize.down")
    p2 = {"factor": 2.0, "kernel": "bicubic", "antialias": True, "upsample_back": False}
    p3 = {**p2, "factor": 3.0}
    with pytest.raises(InputError, match="different sizes"):
        op.apply_batch(to_batch(crop, crop), [p2, p3])
    back = op.apply_batch(to_batch(crop, crop), [{**p2, "upsample_back": True}, {**p3, "upsample_back": True}])
    assert tuple(back.shape) == (2, 3, 96, 128)
    assert isinstance(back, torch.Tensor)


@pytest.mark.parametrize("factor", [1.5, 3.0])
def test_axis_product_equals_the_sparse_matrix_product(factor):
    """The compiled axis pass gives the bits of scipy's CSR product (taps added in order, float32)."""
    from degrade.ops.resize.functional import axis_matrix, output_length, resample_axis

    img = np.random.default_rng(3).random((37, 29, 3), dtype=np.float32)
    for axis, n in ((0, 37), (1, 29)):
        for m in (axis_matrix(n, output_length(n, factor), 1 / factor, "bicubic", True),
                  axis_matrix(output_length(n, factor), n, factor, "bilinear", True)):
            src = img if m.shape[1] == n else img[: m.shape[1]] if axis == 0 else img[:, : m.shape[1]]
            moved = np.moveaxis(src, axis, 0)
            ref = np.moveaxis((m @ moved.reshape(moved.shape[0], -1)).reshape(m.shape[0], *moved.shape[1:]), 0, axis)
            np.testing.assert_array_equal(resample_axis(np.ascontiguousarray(src), axis, m), ref)


@pytest.mark.parametrize("kernel", ["bicubic", "bilinear", "area"])
@pytest.mark.parametrize("back", [True, False])
def test_cpu_batch_is_the_numpy_path_and_the_dense_form_agrees(crop, kernel, back):
    from degrade.ops.resize.batch import resize_dense

    op = degrade.get("resize.down")
    p = {"factor": 3.0, "kernel": kernel, "antialias": True, "upsample_back": back}
    x = to_batch(crop, crop[::-1].copy())
    got = op.apply_batch(x, [p, p])
    for i, img in enumerate((crop, crop[::-1].copy())):
        np.testing.assert_array_equal(got[i].permute(1, 2, 0).numpy(), op.apply(img, p))
    small = resize_dense(x, 32, 43, kernel, True, 1 / 3)
    dense = resize_dense(small, 96, 128, kernel, True) if back else small
    assert (dense.clamp(0, 1) - got).abs().max() < 1e-5
