"""AirNet: official key layout, detection (queue size), deformable-convolution offset convention."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from arch_helpers import random_roundtrip

from models.arch.airnet import airnet, detect
from models.arch.airnet.arch import ModulatedDeformConv


def test_random_instance_maps_67x93_and_reloads_strictly(tmp_path):
    module = random_roundtrip("airnet", tmp_path)
    state = module.state_dict()
    assert detect(state) == {"n_feats": 64, "n_groups": 5, "n_blocks": 5, "dim": 256, "queue_size": 1280}
    assert {"E.E.queue", "E.E.queue_ptr", "E.E.encoder_k.E_pre.backbone.1.running_var",
            "R.body.4.body.4.dgm2.dcn.conv_offset_mask.weight", "R.tail.0.weight"} <= set(state)


def test_denoise_only_release_queue_size_is_detected():
    state = airnet(queue_size=768).state_dict()
    assert detect(state)["queue_size"] == 768
    airnet(**detect(state)).load_state_dict(state, strict=True)


def test_deformable_offsets_are_dy_dx_pairs_with_sigmoid_masks():
    """Zero offsets with saturated masks give a plain convolution; an offset of (dy=1, dx=0) at every kernel
    tap samples one row lower, i.e. equals the convolution of the image shifted up by one row."""
    dcn = ModulatedDeformConv(4)
    x = torch.randn(1, 4, 12, 12, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        dcn.conv_offset_mask.bias[18:] = 30.0
        plain = F.conv2d(x, dcn.weight, padding=1)
        assert torch.allclose(dcn(x, torch.zeros_like(x)), plain, atol=1e-4)
        o = dcn.conv_offset_mask.bias
        o[:9] = torch.tensor([1.0, 0.0] * 4 + [1.0])
        o[9:18] = torch.tensor([0.0, 1.0] * 4 + [0.0])
        shifted = F.conv2d(x[:, :, 1:], dcn.weight, padding=1)
        assert torch.allclose(dcn(x, torch.zeros_like(x))[:, :, 1:-2], shifted[:, :, 1:-1], atol=1e-4)


def test_sampled_deformable_conv_equals_torchvision_values_and_gradients():
    """The training path (bilinear sampling + matrix product) computes torchvision's deform_conv2d."""
    from torchvision.ops import deform_conv2d

    from models.arch.airnet.arch import deform_conv_sampled

    g = torch.Generator().manual_seed(3)
    x = torch.rand(2, 5, 9, 11, generator=g, dtype=torch.float64, requires_grad=True)
    offset = (3 * torch.randn(2, 18, 9, 11, generator=g, dtype=torch.float64)).requires_grad_()
    mask = torch.rand(2, 9, 9, 11, generator=g, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(4, 5, 3, 3, generator=g, dtype=torch.float64, requires_grad=True)
    ours = deform_conv_sampled(x, offset, weight, mask)
    ref = deform_conv2d(x, offset, weight, padding=1, mask=mask)
    assert torch.allclose(ours, ref, atol=1e-10)
    inputs = (x, offset, weight, mask)
    grads = torch.autograd.grad(ours.square().sum(), inputs)
    ref_grads = torch.autograd.grad(ref.square().sum(), inputs)
    for a, b in zip(grads, ref_grads):
        assert torch.allclose(a, b, atol=1e-8)


def test_small_size_builds_reloads_and_detects():
    from models.arch.airnet import SIZES

    state = airnet(**SIZES["small"]).state_dict()
    assert detect(state) == SIZES["small"]
    airnet(**detect(state)).load_state_dict(state, strict=True)
    assert 4 * sum(v.numel() for v in state.values()) < 5_000_000
