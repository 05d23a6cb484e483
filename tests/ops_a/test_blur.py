"""Blur operators: impulse responses equal their PSFs on both paths, user kernels, flat-field preservation."""

from __future__ import annotations

import numpy as np
import pytest

import degrade
from restorebench.errors import InputError
from tests.ops_a.conftest import from_batch, to_batch

ASYMMETRIC = [[0.0, 0.0, 0.3], [0.0, 0.4, 0.0], [0.1, 0.0, 0.2]]


def impulse(side: int = 65) -> np.ndarray:
    img = np.zeros((side, side, 3), np.float32)
    img[side // 2, side // 2] = 1.0
    return img


@pytest.mark.parametrize("name,params", [
    ("blur.kernel", {"kernel": ASYMMETRIC}),
    ("blur.motion", {"length": 17.0, "seed": 12}),
    ("blur.gaussian", {"sigma_x": 3.0, "sigma_y": 1.0, "angle_deg": 20.0}),
    ("blur.gaussian", {"sigma_x": 2.5, "sigma_y": 2.5, "angle_deg": 33.0}),
    ("blur.gaussian", {"sigma_x": 0.0, "sigma_y": 1.5, "angle_deg": -90.0}),
    ("blur.defocus", {"radius": 4.5}),
])
@pytest.mark.parametrize("path", ["numpy", "torch"])
def test_impulse_response_is_the_psf(name, params, path):
    op = degrade.get(name)
    img = impulse()
    out = op.apply(img, params) if path == "numpy" else from_batch(op.apply_batch(to_batch(img), [params]))
    psf = op.psf(params)
    ry, rx = psf.shape[0] // 2, psf.shape[1] // 2
    c = img.shape[0] // 2
    window = out[c - ry:c + ry + 1, c - rx:c + rx + 1, 1]
    assert np.abs(window - psf).max() < 1e-5
    assert abs(out[..., 1].sum() - 1.0) < 1e-4, "energy outside the PSF window"


def test_psf_is_redrawn_from_the_seed():
    op = degrade.get("blur.motion")
    a = op.psf({"length": 15.0, "seed": 1})
    assert np.array_equal(a, op.psf({"length": 15.0, "seed": 1}))
    assert not np.array_equal(a, op.psf({"length": 15.0, "seed": 2}))


@pytest.mark.parametrize("threads", [2, 3, 8])
def test_motion_psfs_do_not_depend_on_host_threads(threads):
    op = degrade.get("blur.motion")
    params = [{"length": float(3 + 4 * i), "seed": 100 + i} for i in range(7)]
    alone = [op.psf(p) for p in params]
    for k, ref in zip(op.psfs(params, threads), alone, strict=True):
        assert np.array_equal(k, ref)


@pytest.mark.parametrize("name", ["blur.gaussian", "blur.motion", "blur.defocus"])
def test_flat_image_stays_flat_up_to_the_borders(name):
    op = degrade.get(name)
    flat = np.full((48, 40, 3), 0.37, np.float32)
    out = op.apply(flat, op.sample(np.random.default_rng(0), severity=5))
    assert np.abs(out - 0.37).max() < 1e-5


def test_user_kernel_from_npy_equals_list(tmp_path, crop):
    op = degrade.get("blur.kernel")
    path = tmp_path / "k.npy"
    np.save(path, np.array(ASYMMETRIC))
    assert np.array_equal(op.apply(crop, {"path": str(path)}), op.apply(crop, {"kernel": ASYMMETRIC}))


@pytest.mark.parametrize("params,match", [
    ({}, "exactly one"),
    ({"kernel": ASYMMETRIC, "path": "k.npy"}, "exactly one"),
    ({"path": "/nonexistent/k.npy"}, "not an existing .npy"),
    ({"kernel": [[0.5, 0.5]]}, "odd sides"),
    ({"kernel": [[0.1, 0.1, 0.1]]}, "sums to"),
    ({"kernel": "[[1]]"}, "must be list"),
])
def test_user_kernel_validation(params, match, crop):
    with pytest.raises(InputError, match=match):
        degrade.get("blur.kernel").apply(crop, params)


@pytest.mark.parametrize("sx,sy,angle", [(3.0, 3.0, 0.0), (2.0, 2.0, 41.0), (1.0, 3.0, 90.0), (2.5, 0.5, 180.0),
                                         (0.0, 2.0, 0.0), (0.0, 0.0, 0.0)])
def test_separable_gaussians_take_two_passes_with_the_psf_factors(crop, sx, sy, angle):
    """Isotropic and axis-aligned Gaussians: two 1-D passes whose outer product is the PSF (float32 rounding)."""
    from degrade.filtering import convolve
    from degrade.kernels import gaussian_factors, gaussian_kernel

    column, row = gaussian_factors(sx, sy, angle)
    np.testing.assert_allclose(np.outer(column, row), gaussian_kernel(sx, sy, angle), rtol=0, atol=1e-7)
    params = {"sigma_x": sx, "sigma_y": sy, "angle_deg": angle}
    out = degrade.get("blur.gaussian").apply(crop, params)
    np.testing.assert_allclose(out, convolve(crop, gaussian_kernel(sx, sy, angle), clip=True), rtol=0, atol=2e-6)
    assert gaussian_factors(1.0, 3.0, 45.0) is None


@pytest.mark.parametrize("size", [5, 17, 31, 33])
def test_batch_convolution_is_the_numpy_path_on_the_cpu_and_agrees_by_fft(crop, size):
    # a CPU batch convolves every plane by the numpy route (same bits); other devices take the FFT form,
    # checked here on CPU tensors: the numpy path's true convolution with reflect-101 borders, to rounding
    import torch

    from degrade import filtering

    rng = np.random.default_rng(size)
    kernels = rng.random((2, size, size), dtype=np.float32)
    kernels /= kernels.sum(axis=(1, 2), keepdims=True)
    x = torch.from_numpy(np.stack([crop, crop[::-1].copy()])).permute(0, 3, 1, 2)
    expected = np.stack([filtering.convolve(img, k) for img, k in zip([crop, crop[::-1]], kernels)])
    got = filtering.convolve_batch(x, list(kernels)).permute(0, 2, 3, 1).numpy()
    np.testing.assert_array_equal(got, expected)
    fft = filtering.convolve_batch_fft(x, list(kernels)).permute(0, 2, 3, 1).numpy()
    assert np.abs(fft - expected).max() < 2e-6


@pytest.mark.parametrize("name,params", [
    ("blur.gaussian", [{"sigma_x": 3.0, "sigma_y": 3.0, "angle_deg": 0.0},
                       {"sigma_x": 1.0, "sigma_y": 2.5, "angle_deg": 30.0}]),
    ("blur.motion", [{"length": 15.0, "seed": 3}, {"length": 31.0, "seed": 4}]),
    ("blur.defocus", [{"radius": 6.0}, {"radius": 2.5}]),
])
@pytest.mark.parametrize("threads", [1, 2])
def test_cpu_batch_blur_gives_the_numpy_path_bits(crop, name, params, threads):
    import torch

    op = degrade.get(name)
    x = torch.from_numpy(np.stack([crop, crop[::-1].copy()])).permute(0, 3, 1, 2)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        got = op.apply_batch(x, params).permute(0, 2, 3, 1).numpy()
    finally:
        torch.set_num_threads(before)
    for i, p in enumerate(params):
        np.testing.assert_array_equal(got[i], op.apply(np.ascontiguousarray(x[i].permute(1, 2, 0).numpy()), p))
