"""AOD-Net: K-estimation formula, strict loading, synthetic haze."""

from __future__ import annotations

import torch
from arch_helpers import gain, random_roundtrip, shared_state_dict

from models.arch.aodnet import aodnet


def test_random_weights_map_67x93_and_reload_strictly(tmp_path):
    random_roundtrip("aodnet", tmp_path)


def test_released_checkpoint_is_verified_and_loads_strictly(shared):
    aodnet().load_state_dict(shared_state_dict("aodnet", shared), strict=True)


def test_output_is_k_times_i_minus_k_plus_1():
    """With a constant K (conv5 bias only) the network is the reformulated scattering model J = K I - K + 1."""
    net = aodnet()
    with torch.no_grad():
        torch.nn.init.zeros_(net.e_conv5.weight)
        net.e_conv5.bias.fill_(1.6)
        hazy = torch.rand(1, 3, 8, 8) * 0.5 + 0.4
        assert torch.allclose(net(hazy), torch.relu(1.6 * hazy - 1.6 + 1.0), atol=1e-6)


def test_synthetic_haze_gain_at_least_2db(clean, degraded):
    hazy = degraded("haze.atmospheric", 2)
    before, after = gain("aodnet", hazy, clean)
    assert after - before >= 2.0, (before, after)
