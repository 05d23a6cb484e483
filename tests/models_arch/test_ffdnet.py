"""FFDNet: noise-level map, pixel-unshuffle layout, strict loading, PSNR gains, tiling agreement."""

from __future__ import annotations

import pytest
import torch
from arch_helpers import gain, random_roundtrip, shared_state_dict

import models
from models.arch.ffdnet import detect, ffdnet
from restorebench.errors import InputError


@pytest.mark.parametrize("name", ["ffdnet-color", "ffdnet-gray"])
def test_random_weights_map_67x93(name, tmp_path):
    random_roundtrip(name, tmp_path, save=name == "ffdnet-color")


@pytest.mark.parametrize("name", ["ffdnet-color", "ffdnet-gray"])
def test_released_checkpoint_is_verified_and_detected_as_registered(name, shared):
    assert detect(shared_state_dict(name, shared)) == models.info(name).args


def test_matconvnet_conversion_equals_kair_release(shared, clean, degraded):
    noisy = degraded("noise.gaussian", sigma=[25.0, 25.0])
    kair = models.load("ffdnet-color", noise_level=25)(noisy)
    path = shared / "weights" / "restoration" / "ffdnet_color_from_matconvnet.pth"
    converted = models.load("ffdnet-color", weights=path, noise_level=25)(noisy)
    assert torch.equal(kair, converted)


def test_odd_sides_and_missing_level_are_refused():
    net = ffdnet(1, 1, 8, 3)
    with pytest.raises(InputError, match="even"):
        net(torch.rand(1, 1, 17, 16), sigma=torch.tensor([0.1]))
    with pytest.raises(InputError, match="noise level"):
        net(torch.rand(1, 1, 16, 16))


@pytest.mark.parametrize(("name", "options"), [("ffdnet-color", {}), ("ffdnet-gray", {"noise_level": 25})])
def test_sigma25_gain_at_least_2db(name, options, clean, degraded):
    noisy = degraded("noise.gaussian", sigma=[25.0, 25.0])
    before, after = gain(name, noisy, clean, **options)
    assert after - before >= 2.0, (name, before, after)


def test_tiled_equals_untiled_for_a_real_checkpoint(shared, clean, degraded):
    noisy = degraded("noise.gaussian", sigma=[25.0, 25.0])
    x = torch.cat([torch.cat([noisy[0], noisy[1]], dim=2), torch.cat([noisy[2], noisy[3]], dim=2)], dim=1)[None]
    x = x[..., :117, :101]
    whole = models.load("ffdnet-color", noise_level=25)(x)
    tiled = models.load("ffdnet-color", noise_level=25, tile=96)(x)
    assert float((whole - tiled).abs().max()) <= 1e-5
