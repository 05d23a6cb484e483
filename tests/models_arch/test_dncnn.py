"""DnCNN family: strict loading of the released checkpoints, residual formulation, PSNR gains."""

from __future__ import annotations

import pytest
import torch
from arch_helpers import gain, random_roundtrip, shared_state_dict

import models
from models.arch.dncnn import detect, dncnn, fdncnn
from restorebench.errors import InputError

ENTRIES = ["dncnn-25", "dncnn-gray-blind", "dncnn-color-blind", "dncnn3", "fdncnn-color"]


@pytest.mark.parametrize("name", ENTRIES)
def test_random_weights_map_67x93(name, tmp_path):
    random_roundtrip(name, tmp_path, save=name == "fdncnn-color")


@pytest.mark.parametrize("name", ENTRIES)
def test_released_checkpoint_is_verified_and_detected_as_registered(name, shared):
    state = shared_state_dict(name, shared)
    hp = detect(state)
    assert {k: hp[k] for k in ("in_nc", "out_nc", "nc", "nb")} == models.info(name).args
    assert hp["noise_map"] == (name == "fdncnn-color")


def test_dncnn_predicts_the_noise_and_fdncnn_the_image():
    x = torch.rand(2, 3, 20, 24, generator=torch.Generator().manual_seed(0))
    net = dncnn(3, 3, 8, 4)
    with torch.no_grad():
        torch.nn.init.zeros_(net.model[-1].weight)
        torch.nn.init.zeros_(net.model[-1].bias)
        assert torch.equal(net(x), x)
        flex = fdncnn(4, 3, 8, 4)
        torch.nn.init.zeros_(flex.model[-1].weight)
        torch.nn.init.constant_(flex.model[-1].bias, 0.25)
        assert torch.allclose(flex(x, sigma=torch.tensor([0.1, 0.2])), torch.full_like(x, 0.25))


def test_fdncnn_needs_a_noise_level_and_channels_must_add_up():
    with pytest.raises(InputError, match="sigma"):
        fdncnn()(torch.rand(1, 3, 16, 16))
    with pytest.raises(InputError, match="in_nc"):
        dncnn(in_nc=4, out_nc=3)


@pytest.mark.parametrize("name", ["dncnn-25", "dncnn-color-blind", "fdncnn-color"])
def test_sigma25_gain_at_least_2db(name, clean, degraded):
    noisy = degraded("noise.gaussian", sigma=[25.0, 25.0])
    before, after = gain(name, noisy, clean, **({"noise_level": 25} if name == "fdncnn-color" else {}))
    assert after - before >= 2.0, (name, before, after)


def test_dncnn3_jpeg_q10_gain_at_least_1db(clean, degraded):
    jpeg = degraded("jpeg.compress", quality=[10, 10])
    before, after = gain("dncnn3", jpeg, clean)
    assert after - before >= 1.0, (before, after)
