"""Rong et al.: both sizes train (shapes, finite values, gradients everywhere), detection, the registry's size
multiple, masked window attention, degradation-guided prompts, and the shipped small weights (strict load,
denoising gain)."""

from __future__ import annotations

import pytest
import torch
from arch_helpers import X67, psnr

import degrade
import models
from models.arch.rong import SIZES, detect, rong
from models.arch.rong.arch import PromptInteraction, window_attention
from restorebench.seeding import sample_rng, torch_seeded
from train.losses import OBJECTIVES


@pytest.mark.parametrize("size", ["small", "paper"])
def test_both_sizes_restore_classify_and_pass_gradients_to_every_parameter(size):
    with torch_seeded(0):
        net = rong(**SIZES[size]).train()
    gt = torch.rand(2, 3, 24, 40, generator=torch.Generator().manual_seed(1))
    batch = {"lq": (gt + 0.1).clamp(0, 1), "gt": gt, "labels": torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])}
    restored, logits = net.restore_and_classify(batch["lq"])
    assert restored.shape == gt.shape and logits.shape == (2, 3)
    assert bool(torch.isfinite(restored).all()) and bool(torch.isfinite(logits).all())
    loss, parts = OBJECTIVES["rong"].loss(net, batch)
    assert set(parts) == {"l1", "bce"}
    loss.backward()
    dead = [n for n, p in net.named_parameters() if p.grad is None or not bool(torch.isfinite(p.grad).all())
            or float(p.grad.abs().sum()) == 0.0]
    assert dead == []
    groups = {n.split(".")[0] for n, _ in net.named_parameters()}
    assert groups == {"classifier", "patch_embed", "encoders", "downs", "latent", "prompts", "ups", "fuse",
                      "decoders", "refinement", "output"}
    found = detect(net.state_dict())
    assert {k: found[k] for k in SIZES[size]} == SIZES[size]


def test_small_size_meets_the_registry_size_multiple_and_loads_strictly(tmp_path):
    """The entry's size multiple (8) is all the small network needs: every side that is a multiple of 8 maps to
    itself, and a saved small state dict loads through the registry (size detected) and maps 67x93."""
    assert models.info("rong").size_multiple == 8
    with torch_seeded(0):
        net = rong(**SIZES["small"]).eval()
    with torch.no_grad():
        for h, w in ((8, 8), (16, 40), (72, 24)):
            assert net(torch.rand(1, 3, h, w)).shape == (1, 3, h, w)
    path = tmp_path / "small.pth"
    torch.save(net.state_dict(), path)
    loaded = models.load("rong", weights=path)
    state = loaded.module.state_dict()
    assert all(torch.equal(state[k], v) for k, v in net.state_dict().items())
    y = loaded(X67)
    assert y.shape == X67.shape and 0.0 <= float(y.min()) and float(y.max()) <= 1.0
    assert 4 * sum(v.numel() for v in state.values()) < 5_000_000


def test_window_attention_masks_the_padding():
    """A 5x6 map in one 8x8 window: the result equals plain softmax attention among its 30 pixels."""
    g = torch.Generator().manual_seed(2)
    q, k, v = (torch.randn(1, 4, 5, 6, generator=g) for _ in range(3))
    out = window_attention(q, k, v, heads=2, window=8)
    ref = []
    for head in range(2):
        qh, kh, vh = (t[0, 2 * head:2 * head + 2].reshape(2, 30).T for t in (q, k, v))
        ref.append(((qh @ kh.T) * 2 ** -0.5).softmax(dim=-1) @ vh)
    ref = torch.cat([r.T.reshape(2, 5, 6) for r in ref])[None]
    assert out.shape == q.shape and torch.allclose(out, ref, atol=1e-5)


def test_prompts_follow_the_degradation_vector():
    with torch_seeded(0):
        block = PromptInteraction(feat_dim=8, prompt_dim=4, length=3, size=4, degradations=3, heads=2,
                                  expansion=2.0, bias=False).eval()
    x = torch.rand(1, 8, 8, 8, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        noise, haze = block(x, torch.tensor([[1.0, 0.0, 0.0]])), block(x, torch.tensor([[0.0, 0.0, 1.0]]))
    assert not torch.allclose(noise, haze)


def test_shipped_small_weights_load_strictly_and_denoise(astronaut):
    restorer = models.load("rong-small-aio3")
    found = detect(restorer.module.state_dict())
    assert {k: found[k] for k in SIZES["small"]} == SIZES["small"] == restorer.info.args
    clean = torch.from_numpy(astronaut[128:256, 192:320]).permute(2, 0, 1)[None]
    noisy, _ = degrade.get("noise.gaussian")(astronaut[128:256, 192:320], sample_rng(3, 0), severity=3)
    noisy = torch.from_numpy(noisy).permute(2, 0, 1)[None]
    with torch.no_grad():
        restored = restorer(noisy)
    assert psnr(restored, clean) > psnr(noisy, clean) + 3.0
