"""Particle rendering shared by rain and snow: sparse splatting, layer statistics, streak and flake kernels."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from degrade.filtering import convolve, fft_size, splat
from degrade.kernels import disk_kernel, line_kernel
from degrade.ops.rain.functional import streak_kernel, streak_layers
from degrade.ops.rain.particles import AMP_LOW, ParticleLayer, render_layers, render_layers_batch, veil_blend
from degrade.ops.snow.functional import flake_kernel, flake_layers


def test_splat_equals_convolving_an_impulse_image():
    rng = np.random.default_rng(0)
    h, w = 60, 90
    groups, ref = [], np.zeros((h, w), np.float32)
    for k in (line_kernel(17, 60, 1.5), disk_kernel(4.0)):
        rows, cols = rng.integers(10, h - 10, 40), rng.integers(10, w - 10, 40)
        amps = rng.random(40).astype(np.float32)
        impulses = np.zeros((h, w, 1), np.float32)
        np.add.at(impulses[:, :, 0], (rows, cols), amps)
        ref += convolve(impulses, k)[:, :, 0]
        groups.append((rows, cols, amps, k))
    np.testing.assert_allclose(splat((h, w), groups, floor=0.0), ref, atol=1e-6)


def test_splat_lets_shapes_enter_from_outside_and_rejects_far_positions():
    k = np.ones((9, 1), np.float32)  # a vertical bar, radius 4 rows
    out = splat((20, 20), [(np.array([-2]), np.array([5]), np.array([1.0]), k)])
    assert out[:, 5].tolist()[:4] == [1.0, 1.0, 1.0, 0.0] and out.sum() == 3.0
    with pytest.raises(ValueError, match="radius"):
        splat((20, 20), [(np.array([-5]), np.array([5]), np.array([1.0]), k)])


@pytest.mark.parametrize("veiled", [False, True])
@pytest.mark.parametrize("color", [1.0, 0.9])
def test_veil_blend_follows_the_compositing_formula(veiled, color):
    rng = np.random.default_rng(4)
    img = rng.random((23, 31, 3), dtype=np.float32)
    canvas = rng.random((29, 41), dtype=np.float32) * 1.5  # a strided view, partly above 1 (clipped)
    cover = canvas[3:26, 5:36]
    t = rng.random((23, 31), dtype=np.float32) if veiled else None
    s = np.minimum(cover.astype(np.float64), 1.0)[..., None]
    tt = np.ones_like(s) if t is None else t.astype(np.float64)[..., None]
    expected = tt * (img * (1 - s) + color * s) + (1 - tt) * 0.8
    out = veil_blend(img, cover, t, color, 0.8)
    assert out.dtype == np.float32 and out.shape == img.shape
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_layer_statistics_match_between_numpy_and_torch():
    layer = ParticleLayer(np.ones((1, 1), np.float32), density=0.01, opacity=0.8)
    h = w = 256
    cpu = render_layers([layer], h, w, np.random.default_rng(1))
    gpu = render_layers_batch([[layer]], [1], h, w, torch.device("cpu"))[0, 0].numpy()
    expected_count, expected_amp = 0.01 * h * w, 0.8 * (1 + AMP_LOW) / 2
    for field in (cpu, gpu):
        hits = field[field > 1e-3]  # the FFT path leaves ~1e-8 residues between particles
        assert abs(hits.size - expected_count) < 4 * math.sqrt(expected_count)
        assert abs(hits.mean() - expected_amp) < 0.02
        # amplitudes lie in [opacity * AMP_LOW, opacity); two particles on one pixel add up (rare)
        assert hits.min() >= 0.8 * AMP_LOW - 1e-6 and (hits <= 0.8 + 1e-6).mean() > 0.98


def test_batch_layers_keep_every_particle_whole_across_borders():
    kernel = streak_kernel(21.0, 10.0, 1.5, 0.0)
    layer = ParticleLayer(kernel, density=0.002, opacity=0.7)
    h, w, seed = 48, 40, 3
    field = render_layers_batch([[layer]], [seed], h, w, torch.device("cpu"))[0, 0]
    u = torch.rand((1, h, w), generator=torch.Generator().manual_seed(seed))[0]
    amps = 0.7 * (AMP_LOW + (1 - AMP_LOW) * u / 0.002)[u < 0.002]
    # circular convolution: streaks leaving one border re-enter from the other, so no mass is lost
    assert float(field.sum()) == pytest.approx(float(amps.sum()) * float(kernel.sum()), rel=1e-4)
    assert float(field.min()) >= 0.0


def test_fft_size_is_the_next_7_smooth_integer():
    def smooth(n: int) -> bool:
        for p in (2, 3, 5, 7):
            while n % p == 0:
                n //= p
        return n == 1

    for n in range(1, 700):
        m = fft_size(n)
        assert m >= n and smooth(m) and not any(smooth(k) for k in range(n, m))


@pytest.mark.parametrize("angle", [-30.0, 0.0, 24.0])
def test_streak_kernel_leans_counter_clockwise_from_vertical(angle):
    k = streak_kernel(41.0, angle, 1.0, 0.0).astype(np.float64)
    y, x = np.mgrid[0:k.shape[0], 0:k.shape[1]].astype(np.float64)
    m = k / k.sum()
    cx, cy = (m * x).sum(), (m * y).sum()
    cxx, cyy, cxy = (m * (x - cx) ** 2).sum(), (m * (y - cy) ** 2).sum(), (m * (x - cx) * (y - cy)).sum()
    axis = 0.5 * math.degrees(math.atan2(2 * cxy, cxx - cyy))  # from +x towards +y (down)
    assert abs(((90.0 - axis) - angle + 90.0) % 180.0 - 90.0) < 1.0  # an axis is defined modulo 180 degrees
    assert k.max() == pytest.approx(1.0)


def test_flake_kernel_conserves_the_flake_area_under_motion():
    area = math.pi * 2.0 ** 2
    for motion in (0.0, 6.0, 15.0):
        k = flake_kernel(2.0, motion, 20.0, 0.0)
        assert k.sum() == pytest.approx(area, rel=0.02) and k.max() <= 1.0
    tiny = flake_kernel(0.5, 0.0, 0.0, 0.0)
    assert tiny.max() < 1.0  # a sub-pixel flake only partly covers its pixel


def test_farther_layers_are_smaller_denser_and_dimmer():
    for layers in (streak_layers(0.01, 30.0, 5.0, 2.0, 0.6, 3), flake_layers(0.01, 3.0, 8.0, 5.0, 0.9, 4)):
        sizes = [float(layer.kernel.sum()) for layer in layers]
        assert sizes == sorted(sizes, reverse=True)
        assert [la.density for la in layers] == sorted(la.density for la in layers)
        assert [la.opacity for la in layers] == sorted((la.opacity for la in layers), reverse=True)
        assert sum(la.density for la in layers) == pytest.approx(0.01)
