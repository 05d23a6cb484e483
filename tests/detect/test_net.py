"""The detector network: output shapes, any image size, and its hyper-parameters read off a state dict."""

from __future__ import annotations

import pytest
import torch

from degrade.labels import LABELS
from models.detect.net import degradation_cnn, detect


@pytest.mark.parametrize("max_pool", [True, False])
@pytest.mark.parametrize("drop_map", [True, False])
def test_the_state_dict_tells_its_configuration(max_pool, drop_map):
    net = degradation_cnn(widths=(8, 16, 24, 32), hidden=20, max_pool=max_pool, drop_map=drop_map)
    found = detect(net.state_dict())
    assert found == {"widths": [8, 16, 24, 32], "hidden": 20, "classes": len(LABELS), "max_pool": max_pool,
                     "drop_map": drop_map}
    degradation_cnn(**found).load_state_dict(net.state_dict(), strict=True)


@pytest.mark.parametrize("size", [(32, 32), (48, 80)])
def test_outputs_for_any_size(size):
    torch.manual_seed(0)
    out = degradation_cnn(widths=(8, 8, 8, 8), hidden=16, drop_map=True).eval()(torch.rand(2, 3, *size))
    c = len(LABELS)
    assert out["logits"].shape == out["severity"].shape == (2, c)
    assert out["sigma"].shape == out["quality"].shape == (2,)
    assert out["drop_map"].shape == (2, -(-size[0] // 8), -(-size[1] // 8))
    assert all(torch.isfinite(v).all() for v in out.values())


def test_the_drop_map_loss_prefers_the_map_of_the_drops():
    from train.losses import drop_map_loss

    mark = torch.zeros(1, 1, 32, 32)
    mark[..., 8:16, 16:24] = 1.0
    right = torch.full((1, 4, 4), -4.0)
    right[:, 1, 2] = 4.0
    assert drop_map_loss(right, mark) < drop_map_loss(-right, mark)
    assert drop_map_loss(right, mark) < drop_map_loss(torch.zeros(1, 4, 4), mark)



def test_the_drop_stage_loads_into_the_mapped_detector_and_the_head_does_not_move_the_mapper():
    from models.detect.net import drop_mapper, mapped_degradation_cnn

    torch.manual_seed(0)
    stage, net = drop_mapper(widths=(8, 16, 24)), mapped_degradation_cnn(widths=(8, 16, 24, 32), hidden=16)
    drop_keys = {k.removeprefix("drop.") for k in net.state_dict() if k.startswith("drop.")}
    assert drop_keys == {k.removeprefix("drop.") for k in stage.state_dict()}
    net.drop.load_state_dict(stage.drop.state_dict(), strict=True)
    x = torch.rand(2, 3, 40, 48)
    assert stage.eval()(x)["drop_map"].shape == (2, 5, 6)
    out = net.eval()(x)
    assert torch.equal(out["drop_map"], stage(x)["drop_map"])
    grads = torch.autograd.grad(out["logits"].sum(), list(net.drop.parameters()), allow_unused=True)
    assert all(g is None for g in grads)
    assert detect(net.state_dict())["drop_map"] is True


def test_the_drop_maps_largest_logit_reaches_the_raindrop_logit_directly():
    torch.manual_seed(0)
    net = degradation_cnn(widths=(8, 8, 8, 8), hidden=16, drop_map=True).eval()
    with torch.no_grad():
        net.head[2].weight.zero_()
        net.head[2].bias.zero_()
        net.drop_gain.weight.copy_(torch.tensor([[1.0, 0.0]]))
        net.drop_gain.bias.zero_()
    out = net(torch.rand(2, 3, 40, 48))
    k = LABELS.index("raindrop")
    assert torch.allclose(out["logits"][:, k], out["drop_map"].flatten(1).amax(1))
    others = torch.cat([out["logits"][:, :k], out["logits"][:, k + 1:]], dim=1)
    assert torch.equal(others, torch.zeros_like(others))
