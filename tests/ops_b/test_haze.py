"""haze.atmospheric: the scattering model against a hand computation, its limits, depth files, batch path."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

import degrade
from degrade.color import linear_to_srgb, srgb_to_linear
from restorebench.errors import InputError
from tests.ops_b.conftest import from_batch, to_batch

OP = degrade.get("haze.atmospheric")


def _params(**kw):
    return {"beta": 1.0, "airlight": 0.8, "tint": 0.0, "space": "srgb", "seed": 3, **kw}


def _ramp_depth(h, w):
    """Depth growing from 0 at the bottom-left to 1 at the top-right (float32)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return ((h - 1 - y) / (h - 1) + x / (w - 1)) / 2


def test_matches_the_scattering_model_with_a_depth_file(photo, tmp_path):
    h, w, _ = photo.shape
    depth = _ramp_depth(h, w)
    np.save(tmp_path / "d.npy", depth)
    out = OP.apply(photo, _params(beta=1.7, tint=0.1, depth=str(tmp_path / "d.npy")))
    t = np.exp(-1.7 * depth.astype(np.float64))[:, :, None]
    a = 0.8 * np.array([0.9, 1.0, 1.1])
    np.testing.assert_allclose(out, photo * t + a * (1 - t), atol=2e-6)


def test_linear_space_applies_the_model_to_linear_light(photo, tmp_path):
    h, w, _ = photo.shape
    depth = _ramp_depth(h, w)
    np.save(tmp_path / "d.npy", depth)
    out = OP.apply(photo, _params(beta=2.0, space="linear", depth=str(tmp_path / "d.npy")))
    t = np.exp(-2.0 * depth.astype(np.float64))[:, :, None]
    lin = srgb_to_linear(photo.astype(np.float64)) * t + float(srgb_to_linear(np.float64(0.8))) * (1 - t)
    np.testing.assert_allclose(out, linear_to_srgb(lin), atol=3e-6)


def test_16bit_png_depth_is_scaled_and_resized(photo, tmp_path):
    h, w, _ = photo.shape
    depth = _ramp_depth(h // 2, w // 2)
    cv2.imwrite(str(tmp_path / "d.png"), np.round(depth * 65535).astype(np.uint16))
    np.save(tmp_path / "d.npy", depth)
    a = OP.apply(photo, _params(depth=str(tmp_path / "d.png")))
    b = OP.apply(photo, _params(depth=str(tmp_path / "d.npy")))
    assert np.abs(a - b).max() < 1e-4


def test_identity_at_zero_and_limit_is_the_airlight(photo):
    for space in ("srgb", "linear"):
        assert OP.apply(photo, _params(beta=0.0, space=space)).tobytes() == photo.tobytes()
    a = 0.8 * np.array([0.95, 1.0, 1.05], np.float32)
    gaps = [np.abs(OP.apply(photo, _params(beta=b, tint=0.05)) - a).max() for b in (1.0, 5.0, 20.0, 100.0)]
    assert all(x > y for x, y in itertools.pairwise(gaps)) and gaps[-1] < 1e-4, gaps


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_synthetic_depth_puts_the_top_farther(seed):
    dark = np.full((96, 128, 3), 0.2, np.float32)
    veil = OP.apply(dark, _params(beta=2.0, seed=seed)).mean(axis=(1, 2)) - 0.2  # (A - J)(1 - t) per row
    assert veil[:24].mean() > veil[-24:].mean() > 0


@pytest.mark.parametrize("content, suffix, match", [
    (np.full((8, 8), 1.5, np.float32), ".npy", "in \\[0, 1\\]"),
    (np.zeros((8, 8, 3), np.uint8), ".png", "single-channel"),
    (None, ".npy", "no such file"),
])
def test_bad_depth_files_raise_input_error(content, suffix, match, photo, tmp_path):
    path = tmp_path / f"d{suffix}"
    if content is not None:
        np.save(path, content) if suffix == ".npy" else cv2.imwrite(str(path), content)
    with pytest.raises(InputError, match=match):
        OP.apply(photo, _params(depth=str(path)))


@pytest.mark.parametrize("space", ["srgb", "linear"])
def test_batch_matches_numpy(space, photo):
    params = [_params(beta=b, seed=s, space=space, tint=0.05) for b, s in ((0.0, 1), (0.7, 2), (2.5, 3))]
    out = OP.apply_batch(to_batch(photo, 3), params)
    for i, p in enumerate(params):
        assert np.abs(from_batch(out, i) - OP.apply(photo, p)).max() <= 1e-4
