"""Noise statistics measured on flat images against the closed forms, on both the numpy and the torch path."""

from __future__ import annotations

import numpy as np
import pytest

import degrade
from degrade.color import srgb_to_linear
from tests.ops_a.conftest import device_form, from_batch, to_batch

SIDE = 384


def run(name: str, value: float, params: dict, path: str) -> np.ndarray:
    """Apply ``name`` to a flat SIDE x SIDE image of ``value`` on the numpy path or the torch form of other devices."""
    flat = np.full((SIDE, SIDE, 3), value, np.float32)
    op = degrade.get(name)
    return op.apply(flat, params) if path == "numpy" else from_batch(device_form(op, to_batch(flat), [params]))


PATHS = ["numpy", "torch"]


@pytest.mark.parametrize("gray", [False, True])
@pytest.mark.parametrize("multiply", [False, True])
def test_compiled_normal_pass_equals_numpy_arithmetic(crop, gray, multiply):
    from degrade.ops.noise.functional import _normal_table, add_normal, normal_indices

    h, w, _ = crop.shape
    index = normal_indices(np.random.default_rng(9), h * w * (1 if gray else 3)).reshape(h, w, -1)
    field = np.take(_normal_table() * np.float32(0.2), index)
    expected = crop + field * crop if multiply else crop + field
    got = add_normal(crop, np.random.default_rng(9), 0.2, gray=gray, multiply=multiply)
    body = np.broadcast_to((index > 0) & (index < 65535), crop.shape)
    assert got.dtype == np.float32 and np.array_equal(got[body], expected[body])
    scale = 0.2 * (crop[~body] if multiply else 1.0)
    assert (np.abs(got[~body] - crop[~body]) >= 4.1695 * scale).all()  # exact tail draws at the outermost levels


def test_outermost_table_levels_are_exact_normal_tails():
    from scipy import stats

    from degrade.ops.noise.functional import NORMAL_LEVELS, tail_draws

    edge = -stats.norm.ppf(1 / NORMAL_LEVELS)
    upper = tail_draws(np.full(4000, NORMAL_LEVELS - 1, np.uint16), np.random.default_rng(1))
    lower = tail_draws(np.zeros(4000, np.uint16), np.random.default_rng(2))
    assert (upper > edge).all() and (lower < -edge).all()
    tail = stats.truncnorm(edge, np.inf)
    assert stats.kstest(upper, tail.cdf).pvalue > 1e-3 and stats.kstest(-lower, tail.cdf).pvalue > 1e-3


def test_normal_field_reaches_beyond_the_table_as_often_as_a_gaussian():
    from scipy import stats

    from degrade.ops.noise.functional import add_normal, normal_indices

    z = add_normal(np.zeros((1000, 1000, 3), np.float32), np.random.default_rng(3), 1.0).ravel()
    expected = 2 * stats.norm.sf(4.4) * z.size  # beyond the old table's last level (4.32)
    assert abs((np.abs(z) > 4.4).sum() - expected) < 5 * np.sqrt(expected)
    rng, reference = np.random.default_rng(4), np.random.default_rng(4)
    add_normal(np.zeros((300, 300, 3), np.float32), rng, 1.0)  # about 8 tail draws
    normal_indices(reference, 300 * 300 * 3)
    assert rng.integers(0, 1 << 62) == reference.integers(0, 1 << 62)  # tails come from a spawned stream


@pytest.mark.parametrize("name", ["noise.gaussian", "noise.speckle", "noise.camera", "noise.isp",
                                  "rain.streaks", "snow.layers"])
def test_strided_views_give_the_bytes_of_their_contiguous_copy(crop, name):
    import degrade
    from restorebench.seeding import sample_rng

    op = degrade.get(name)
    params = op.sample(sample_rng(0, 3), severity=3)
    view = crop.transpose(1, 0, 2)  # neither C- nor F-contiguous in its (H*W, C) reading
    assert np.array_equal(op.apply(view, params), op.apply(np.ascontiguousarray(view), params))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("sigma", [5.0, 15.0, 30.0])
def test_gaussian_sigma_on_flat_gray(sigma, path):
    out = run("noise.gaussian", 0.5, {"sigma": sigma, "gray": False, "seed": 3}, path)
    assert out.std() * 255 == pytest.approx(sigma, rel=0.02)
    assert abs(out.mean() - 0.5) < 0.002
    assert abs(np.corrcoef(out[..., 0].ravel(), out[..., 1].ravel())[0, 1]) < 0.02


@pytest.mark.parametrize("path", PATHS)
def test_gaussian_gray_shares_one_field(path):
    out = run("noise.gaussian", 0.5, {"sigma": 10.0, "gray": True, "seed": 3}, path)
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 0], out[..., 2])


@pytest.mark.parametrize("path", PATHS)
def test_poisson_variance_is_mean_over_photons(path):
    out = run("noise.poisson", 0.5, {"photons": 20.0, "linear": False, "seed": 4}, path)
    assert out.var() == pytest.approx(0.5 / 20.0, rel=0.03)
    assert np.allclose(out * 20.0, np.round(out * 20.0), atol=1e-4), "values are photon counts / photons"


@pytest.mark.parametrize("path", PATHS)
def test_poisson_linear_counts_in_linear_light(path):
    lin = float(srgb_to_linear(np.float32(0.6)))
    out = run("noise.poisson", 0.6, {"photons": 60.0, "linear": True, "seed": 5}, path)
    counted = srgb_to_linear(out)
    assert counted.mean() == pytest.approx(lin, rel=0.01)
    assert counted.var() == pytest.approx(lin / 60.0, rel=0.04)


@pytest.mark.parametrize("path", PATHS)
def test_speckle_std_scales_with_value(path):
    out = run("noise.speckle", 0.4, {"sigma": 0.2, "seed": 6}, path)
    assert out.std() == pytest.approx(0.4 * 0.2, rel=0.02)
    assert abs(out.mean() - 0.4) < 0.002


@pytest.mark.parametrize("path", PATHS)
def test_salt_pepper_fractions(path):
    out = run("noise.salt_pepper", 0.5, {"amount": 0.2, "salt_ratio": 0.3, "seed": 7}, path)
    assert (out == 1.0).mean() == pytest.approx(0.06, abs=0.003)
    assert (out == 0.0).mean() == pytest.approx(0.14, abs=0.003)
    assert (out == 0.5).mean() == pytest.approx(0.8, abs=0.003)


@pytest.mark.parametrize("path", PATHS)
def test_camera_noise_shot_plus_read_in_linear_light(path):
    photons, read = 200.0, 5.0
    lin = float(srgb_to_linear(np.float32(0.5)))
    params = {"photons": photons, "read_noise": read, "bayer": False, "seed": 8}
    out = srgb_to_linear(run("noise.camera", 0.5, params, path))
    assert out.mean() == pytest.approx(lin, rel=0.01)
    assert out.var() == pytest.approx(lin / photons + (read / photons) ** 2, rel=0.04)


def test_gaussian_noise_stays_float32(crop):
    from degrade.ops.noise.functional import gaussian_noise

    assert gaussian_noise(crop, 10.0, False, 1).dtype == np.float32


def test_table_normal_field_is_standard_normal():
    from scipy import stats

    from degrade.ops.noise.functional import add_normal

    z = add_normal(np.zeros((501, 333, 3), np.float32), np.random.default_rng(3), 1.0)  # odd count: halves differ
    assert z.dtype == np.float32 and z.shape == (501, 333, 3) and np.isfinite(z).all()
    assert stats.kstest(z.ravel()[::7], "norm").pvalue > 1e-3
    assert abs(stats.kurtosis(z.ravel())) < 0.02
    half = z.size // 2
    assert abs(np.corrcoef(z.ravel()[:half], z.ravel()[half:2 * half])[0, 1]) < 0.01


@pytest.mark.parametrize("path", PATHS)
def test_camera_noise_on_a_bayer_mosaic_is_demosaicked(path):
    # bilinear demosaicking averages 1, 2 or 4 raw samples: on a flat field the mean noise variance is
    # (1/4 + 1/2 * 1/2 + 1/4 * 1/4) = 0.5625 of the raw variance for R and B, (1/2 + 1/2 * 1/4) = 0.625 for G
    photons, read = 200.0, 5.0
    lin = float(srgb_to_linear(np.float32(0.5)))
    raw_var = lin / photons + (read / photons) ** 2
    out = srgb_to_linear(run("noise.camera", 0.5, {"photons": photons, "read_noise": read, "bayer": True,
                                                  "seed": 9}, path)).astype(np.float64)
    for c, share in ((0, 0.5625), (1, 0.625), (2, 0.5625)):
        assert out[..., c].var() == pytest.approx(share * raw_var, rel=0.05)
    noise = out - out.mean()
    assert np.mean(noise[:, 1:, 0] * noise[:, :-1, 0]) > 0.2 * raw_var, "neighbours share raw samples"
    r_sites = out[0::2, 0::2, 0]  # where red was sensed the full raw variance remains
    assert r_sites.var() == pytest.approx(raw_var, rel=0.06)


ISP_PLAIN = {"photons": 200.0, "read_noise": 5.0, "wb_red": 1.0, "wb_blue": 1.0, "ccm": 0.0, "chroma_nr": 0.0,
             "nr_sigma": 0.0, "seed": 10}
"""noise.isp without white balance, colour correction or noise reduction: noise.camera's sensor, in the
tone space."""


def lag_correlation(noise: np.ndarray, lag: int) -> float:
    """Mean over channels of the correlation of HxWx3 ``noise`` with itself ``lag`` px to the right."""
    return float(np.mean([np.corrcoef(noise[:, :-lag, c].ravel(), noise[:, lag:, c].ravel())[0, 1]
                          for c in range(3)]))


def test_camera_pipeline_round_trip_keeps_in_gamut_colours(crop):
    import torch

    from degrade.color import camera_matrix, camera_raw, camera_render

    m = camera_matrix(0.8, 2.1, 1.7)
    x = 0.2 + 0.6 * crop  # colours whose raw values stay inside [0, 1]
    assert np.abs(camera_render(camera_raw(x, m), m) - x).max() < 2e-5
    t = torch.from_numpy(x).permute(2, 0, 1)
    assert (camera_render(camera_raw(t, m), m) - t).abs().max() < 2e-5


@pytest.mark.parametrize("path", PATHS)
def test_isp_noise_without_colour_processing_is_mosaic_sensor_noise(path):
    from degrade.color import camera_matrix, camera_raw

    lin = 0.5 ** 2.2  # the inverse smoothstep keeps 0.5, the inverse gamma takes it to 0.5 ** 2.2
    raw_var = lin / ISP_PLAIN["photons"] + (ISP_PLAIN["read_noise"] / ISP_PLAIN["photons"]) ** 2
    out = camera_raw(run("noise.isp", 0.5, ISP_PLAIN, path), camera_matrix(0.0, 1.0, 1.0)).astype(np.float64)
    assert out.mean() == pytest.approx(lin, rel=0.01)
    for c, share in ((0, 0.5625), (1, 0.625), (2, 0.5625)):  # bilinear demosaicking, as noise.camera
        assert out[..., c].var() == pytest.approx(share * raw_var, rel=0.05)
    assert abs(np.corrcoef(out[..., 0].ravel(), out[..., 1].ravel())[0, 1]) < 0.03


@pytest.mark.parametrize("path", PATHS)
def test_isp_full_chroma_reduction_leaves_grey_noise(path):
    out = run("noise.isp", 0.5, {**ISP_PLAIN, "ccm": 1.0, "chroma_nr": 1.0}, path)
    assert out.std() > 0.01
    assert np.abs(out[..., 0] - out[..., 1]).max() < 1e-5 and np.abs(out[..., 2] - out[..., 1]).max() < 1e-5


@pytest.mark.parametrize("path", PATHS)
def test_isp_colour_processing_correlates_the_channels(path):
    plain = run("noise.isp", 0.5, ISP_PLAIN, path)
    coloured = {**ISP_PLAIN, "wb_red": 2.1, "wb_blue": 1.7, "ccm": 1.0, "chroma_nr": 0.6}
    camera = run("noise.isp", 0.5, coloured, path)
    rg = [np.corrcoef(o[..., 0].ravel(), o[..., 1].ravel())[0, 1] for o in (plain, camera)]
    assert rg[1] > rg[0] + 0.2
    assert camera[..., 0].std() > 1.5 * plain[..., 0].std(), "the red white-balance gain amplifies red noise"


@pytest.mark.parametrize("path", PATHS)
def test_isp_noise_smoothing_raises_the_autocorrelation(path):
    sharp = run("noise.isp", 0.5, ISP_PLAIN, path) - 0.5
    smooth = run("noise.isp", 0.5, {**ISP_PLAIN, "nr_sigma": 1.0}, path) - 0.5
    assert lag_correlation(smooth, 1) > lag_correlation(sharp, 1) + 0.15
    assert lag_correlation(smooth, 2) > lag_correlation(sharp, 2) + 0.3
    assert smooth.std() < 0.7 * sharp.std()
