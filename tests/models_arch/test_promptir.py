"""PromptIR: official key layout (Lightning checkpoint), Restormer blocks against references, prompt blocks."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from arch_helpers import X67

import models
from models.arch.promptir import detect
from models.arch.promptir.arch import PromptGenBlock
from models.arch.promptir.blocks import ChannelLayerNorm
from restorebench.errors import InputError


def test_random_instance_maps_67x93_and_lightning_checkpoint_loads_strictly(tmp_path):
    r = models.load("promptir", weights="random", allow_academic=True)
    y = r(X67)
    assert y.shape == X67.shape and 0.0 <= float(y.min()) and float(y.max()) <= 1.0
    state = r.module.state_dict()
    assert detect(state) == {"dim": 48, "num_blocks": [4, 6, 6, 8], "num_refinement_blocks": 4, "heads": [1, 2, 4, 8],
                             "ffn_expansion_factor": 2.66, "bias": False, "layer_norm": "WithBias",
                             "prompt_dims": [64, 128, 320], "prompt_len": 5, "prompt_sizes": [64, 32, 16],
                             "in_channels": 3, "out_channels": 3}
    assert {"chnl_reduce3.weight", "reduce_noise_channel_1.weight", "prompt3.prompt_param"} <= set(state)
    assert tuple(state["prompt3.prompt_param"].shape) == (1, 5, 320, 16, 16)
    path = tmp_path / "model.ckpt"
    torch.save({"epoch": 3, "state_dict": {"net." + k: v for k, v in state.items()}}, path)
    assert torch.equal(models.load("promptir", weights=path, allow_academic=True)(X67), y)


def test_channel_layer_norms_match_references():
    x = torch.randn(2, 6, 5, 7)
    with_bias, bias_free = ChannelLayerNorm(6, "WithBias"), ChannelLayerNorm(6, "BiasFree")
    with torch.no_grad():
        for norm in (with_bias, bias_free):
            norm.body.weight.uniform_(0.5, 1.5)
        with_bias.body.bias.uniform_(-1, 1)
        ref = F.layer_norm(x.permute(0, 2, 3, 1), (6,), with_bias.body.weight, with_bias.body.bias, eps=1e-5)
        assert torch.allclose(with_bias(x), ref.permute(0, 3, 1, 2), atol=1e-5)
        std = x.double().var(dim=1, unbiased=False, keepdim=True).add(1e-5).sqrt()
        ref_bf = (x.double() / std * bias_free.body.weight.double().view(1, -1, 1, 1)).float()
        assert torch.allclose(bias_free(x), ref_bf, atol=1e-5)
    assert "body.bias" not in bias_free.state_dict()
    with pytest.raises(InputError, match="LayerNorm type"):
        ChannelLayerNorm(6, "Batch")


def test_prompt_block_mixes_components_by_softmax_weights():
    """With all components equal, the prompt does not depend on the predicted weights."""
    block = PromptGenBlock(prompt_dim=4, length=3, size=6, feat_dim=8)
    with torch.no_grad():
        block.prompt_param.copy_(block.prompt_param[:, :1].expand(-1, 3, -1, -1, -1))
        x = torch.randn(2, 8, 9, 11)
        expected = block.conv3x3(F.interpolate(block.prompt_param[:, 0].expand(2, -1, -1, -1), size=(9, 11),
                                               mode="bilinear", align_corners=False))
        assert torch.allclose(block(x), expected, atol=1e-5)


def test_small_size_detects_from_its_state_dict_and_fits_5_mb():
    from models.arch.promptir import SIZES, promptir

    state = promptir(**SIZES["small"]).state_dict()
    found = detect(state)
    assert {k: found[k] for k in SIZES["small"]} == SIZES["small"]
    promptir(**found).load_state_dict(state, strict=True)
    assert 4 * sum(v.numel() for v in state.values()) < 5_000_000
    assert promptir(**SIZES["small"])(X67[..., :64, :88]).shape == (1, 3, 64, 88)
