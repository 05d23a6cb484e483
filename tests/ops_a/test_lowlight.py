"""lowlight.darken: the exposure factor in linear light, the gamma, and the noise of the dark capture."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import degrade
from degrade.color import luminance, srgb_to_linear
from tests.ops_a.conftest import from_batch, to_batch


@pytest.mark.parametrize("factor", [0.5, 0.1, 0.02])
def test_mean_linear_luminance_drops_by_factor(factor, crop):
    out = degrade.get("lowlight.darken").apply(
        crop, {"factor": factor, "gamma": 1.0, "photons": None, "read_noise": 0.0, "bayer": False, "seed": 0})
    ratio = luminance(srgb_to_linear(out)).mean() / luminance(srgb_to_linear(crop)).mean()
    assert ratio == pytest.approx(factor, rel=0.05)


def test_gamma_applies_in_linear_light(crop):
    out = degrade.get("lowlight.darken").apply(
        crop, {"factor": 0.3, "gamma": 1.5, "photons": None, "read_noise": 0.0, "bayer": False, "seed": 0})
    expected = 0.3 * srgb_to_linear(crop).astype(np.float64) ** 1.5
    assert np.abs(srgb_to_linear(out) - expected).max() < 2e-3


@pytest.mark.parametrize("path", ["numpy", "torch"])
def test_dark_capture_noise_level(path):
    flat = np.full((256, 256, 3), 0.7, np.float32)
    p = {"factor": 0.1, "gamma": 1.0, "photons": 2000.0, "read_noise": 3.0, "bayer": False, "seed": 2}
    op = degrade.get("lowlight.darken")
    out = op.apply(flat, p) if path == "numpy" else from_batch(op.apply_batch(to_batch(flat), [p]))
    lin = 0.1 * float(srgb_to_linear(np.float32(0.7)))
    got = srgb_to_linear(out)
    assert got.mean() == pytest.approx(lin, rel=0.01)
    assert got.var() == pytest.approx(lin / 2000.0 + (3.0 / 2000.0) ** 2, rel=0.05)


def test_severities_get_darker_and_noisier(crop):
    op = degrade.get("lowlight.darken")
    means = [luminance(srgb_to_linear(op.apply(crop, op.sample(np.random.default_rng(0), s)))).mean()
             for s in range(1, 6)]
    assert all(a > b for a, b in itertools.pairwise(means))
