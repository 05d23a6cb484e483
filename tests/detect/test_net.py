"""The detector network: output shapes, any image size, and its hyper-parameters read off a state dict."""

from __future__ import annotations

import pytest
import torch

from degrade.labels import LABELS
from models.detect.net import degradation_cnn, detect


@pytest.mark.parametrize("max_pool", [True, False])
def test_the_state_dict_tells_its_configuration(max_pool):
    net = degradation_cnn(widths=(8, 16, 24, 32), hidden=20, max_pool=max_pool)
    found = detect(net.state_dict())
    assert found == {"widths": [8, 16, 24, 32], "hidden": 20, "classes": len(LABELS), "max_pool": max_pool}
    degradation_cnn(**found).load_state_dict(net.state_dict(), strict=True)


@pytest.mark.parametrize("size", [(32, 32), (48, 80)])
def test_outputs_for_any_size(size):
    torch.manual_seed(0)
    out = degradation_cnn(widths=(8, 8, 8, 8), hidden=16).eval()(torch.rand(2, 3, *size))
    c = len(LABELS)
    assert out["logits"].shape == out["severity"].shape == (2, c)
    assert out["sigma"].shape == out["quality"].shape == (2,)
    assert all(torch.isfinite(v).all() for v in out.values())

