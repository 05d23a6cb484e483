"""PReNet: strict loading of the four released models, synthetic and real rain."""

from __future__ import annotations

import pytest
import torch
from arch_helpers import gain, psnr, random_roundtrip, shared_state_dict, to_batch

import models
from models.arch.prenet import detect, prenet
from restorebench.errors import InputError
from restorebench.imageio import read_image

ENTRIES = ["prenet-rain100h", "prenet-rain100l", "prenet-rain1400", "prenet-real"]


@pytest.mark.parametrize("name", ENTRIES)
def test_random_weights_map_67x93(name, tmp_path):
    random_roundtrip(name, tmp_path, save=name == "prenet-real")


@pytest.mark.parametrize("name", ENTRIES)
def test_released_checkpoint_is_verified_and_loads_strictly(name, shared):
    state = shared_state_dict(name, shared)
    assert detect(state) == {"features": 32}
    args = models.info(name).args
    prenet(**args).load_state_dict(state, strict=True)


def test_unknown_design_is_refused():
    with pytest.raises(InputError, match="design"):
        prenet(design="gru")


@pytest.mark.parametrize("name", ["prenet-rain100h", "prenet-rain100l", "prenet-rain1400"])
def test_synthetic_rain_gain_at_least_2db(name, clean, degraded):
    rainy = degraded("rain.streaks", 2)
    before, after = gain(name, rainy, clean)
    assert after - before >= 2.0, (name, before, after)


def test_real_rain100l_pairs(shared):
    """Two Rain100L test pairs (64x64 centre crops): the Rain100L model gains >= 5 dB, the real-rain one >= 1 dB."""
    folder = shared / "data" / "paired" / "Rain100L_examples"

    def crops(kind: str) -> torch.Tensor:
        imgs = [read_image(folder / kind / name) for name in ("1.png", "2.png")]
        return to_batch([i[i.shape[0] // 2 - 32:i.shape[0] // 2 + 32, i.shape[1] // 2 - 32:i.shape[1] // 2 + 32]
                         for i in imgs])

    rainy, target = crops("input"), crops("target")
    before = psnr(rainy, target)
    assert psnr(models.load("prenet-rain100l")(rainy), target) - before >= 5.0
    assert psnr(models.load("prenet-real")(rainy), target) - before >= 1.0


def test_stage_output_is_rainy_image_plus_residual():
    net = prenet(stages=2, features=8)
    with torch.no_grad():
        torch.nn.init.zeros_(net.conv[0].weight)
        torch.nn.init.zeros_(net.conv[0].bias)
        y = torch.rand(1, 3, 16, 16)
        assert torch.equal(net(y), y)
