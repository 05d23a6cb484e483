"""Zero-DCE: curve formulation, strict loading, synthetic low light."""

from __future__ import annotations

import torch
from arch_helpers import gain, random_roundtrip, shared_state_dict

import models
from models.arch.zerodce import detect, zerodce


def test_random_weights_map_67x93_and_reload_strictly(tmp_path):
    random_roundtrip("zerodce", tmp_path)


def test_released_checkpoint_is_verified_and_detected_as_registered(shared):
    assert detect(shared_state_dict("zerodce", shared)) == models.info("zerodce").args


def test_curves_follow_the_quadratic_le_formula():
    """With constant curve maps r (conv7 bias only), each step is x + r (x^2 - x): check 2 steps by hand."""
    net = zerodce(features=4, iterations=2)
    with torch.no_grad():
        torch.nn.init.zeros_(net.e_conv7.weight)
        net.e_conv7.bias.copy_(torch.tensor([0.5, 0.5, 0.5, -0.3, -0.3, -0.3]))
        x = torch.rand(1, 3, 8, 8)
        r1, r2 = torch.tanh(torch.tensor(0.5)), torch.tanh(torch.tensor(-0.3))
        step1 = x + r1 * (x * x - x)
        assert torch.allclose(net(x), step1 + r2 * (step1 * step1 - step1), atol=1e-6)


def test_synthetic_low_light_gain_at_least_2db(clean, degraded):
    dark = degraded("lowlight.darken", 2)
    before, after = gain("zerodce", dark, clean)
    assert after - before >= 2.0, (before, after)
