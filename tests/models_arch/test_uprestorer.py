"""Up-Restorer: both sizes run and train end to end, the sampler is reproducible and batch-independent, the
J-update is the closed-form ADMM step, the state dict round-trips through detect and the registry."""

from __future__ import annotations

import math

import pytest
import torch
from arch_helpers import X67

import models
from models.arch.uprestorer import SIZES, detect, uprestorer
from models.arch.uprestorer.arch import PromptUpgrade, ddim_timesteps, j_update
from models.arch.uprestorer.backbone import timestep_embedding
from restorebench.seeding import torch_seeded

TWO_STEPS = {"small": SIZES["small"], "paper": {**SIZES["paper"], "sampling_steps": 2}}
"""Both sizes with two sampling steps (the small size has two; the paper size's three become two)."""


@pytest.mark.parametrize("size", ["small", "paper"])
def test_two_step_sampling_is_finite_and_every_parameter_gets_a_gradient(size):
    with torch_seeded(0):
        net = uprestorer(**TWO_STEPS[size])
    lq = torch.rand(2, 3, 8, 16, generator=torch.Generator().manual_seed(1))
    out = net(lq)
    assert out.shape == lq.shape and bool(torch.isfinite(out).all())
    out.square().mean().backward()
    silent = [k for k, p in net.named_parameters() if p.grad is None or not bool(p.grad.abs().sum() > 0)]
    assert silent == []
    assert all(bool(torch.isfinite(p.grad).all()) for p in net.parameters())


def test_noise_loss_reaches_the_backbone_and_follows_the_generators():
    with torch_seeded(0):
        net = uprestorer(**SIZES["small"])
    lq, gt = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)
    loss = net.noise_loss(lq, gt, [torch.Generator().manual_seed(s) for s in (3, 4)])
    loss.backward()
    assert float(loss.detach()) > 0
    assert all(p.grad is not None for p in net.backbone.parameters())
    assert all(p.grad is None for p in net.stages.parameters())
    again = net.noise_loss(lq, gt, [torch.Generator().manual_seed(s) for s in (3, 4)])
    other = net.noise_loss(lq, gt, [torch.Generator().manual_seed(s) for s in (3, 5)])
    assert float(again) == float(loss.detach()) != float(other)


def test_forward_is_reproducible_and_each_image_independent_of_its_batch():
    with torch_seeded(0):
        net = uprestorer(**SIZES["small"]).eval()
    x = torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        whole = net(x)
        assert torch.equal(net(x), whole)
        assert torch.allclose(net(x[1:2]), whole[1:2], atol=1e-5)


def test_j_update_is_the_minimizer_and_inverts_the_unified_model():
    g = torch.Generator().manual_seed(0)
    clean, a, n, u, lam = (torch.randn(1, 3, 5, 6, generator=g) for _ in range(5))
    t = torch.rand(1, 3, 5, 6, generator=g) * 0.8 + 0.1
    y = clean * t + a * (1 - t) + n
    sigma2, rho = torch.tensor(0.3), torch.tensor(2.0)
    assert torch.allclose(j_update(y, clean, torch.zeros_like(y), t, a, n, sigma2, rho), clean, atol=1e-5)
    j = j_update(y, u, lam, t, a, n, sigma2, rho).requires_grad_(True)
    objective = ((y - j * t - a * (1 - t) - n) ** 2).sum() / (2 * sigma2) + rho / 2 * ((j - u + lam / rho) ** 2).sum()
    objective.backward()
    assert float(j.grad.abs().max()) < 1e-4


def test_prompt_upgrade_module_applies_the_closed_form_with_its_t_a_n():
    """A stage whose t, A and N are made constant (known) returns the closed form with its sigma and rho."""
    stage = PromptUpgrade(prompt_dim=4, prompt_len=3, prompt_size=6)
    t0, a0, n0 = 0.7, 0.4, -0.1
    with torch.no_grad():
        stage.transmission.weight.zero_()
        stage.transmission.bias.fill_(math.log(t0 / (1 - t0)))
        stage.additive.weight.zero_()
        stage.additive.bias.fill_(n0)
        stage.airlight.fill_(a0)
        stage.log_sigma2.fill_(math.log(0.5))
        stage.log_rho.fill_(math.log(3.0))
        g = torch.Generator().manual_seed(1)
        clean, u, lam = (torch.randn(2, 3, 8, 10, generator=g) for _ in range(3))
        y = clean * t0 + a0 * (1 - t0) + n0
        assert torch.allclose(stage(y, clean, torch.zeros_like(y)), clean, atol=1e-5)
        expected = (t0 * (y - a0 * (1 - t0) - n0) / 0.5 + 3.0 * u - lam) / (t0 * t0 / 0.5 + 3.0)
        assert torch.allclose(stage(y, u, lam), expected, atol=1e-5)


def test_ddim_steps_go_from_high_noise_to_clean_and_embeddings_are_sinusoidal():
    assert ddim_timesteps(3, 1000) == [(666, 333), (333, 0), (0, -1)]
    assert ddim_timesteps(2, 1000) == [(500, 0), (0, -1)]
    net = uprestorer(**SIZES["small"])
    assert float(net.alpha(-1)) == 1.0 and 0 < float(net.alpha(999)) < float(net.alpha(0)) < 1
    emb = timestep_embedding(torch.tensor([0, 10]), 7)
    assert emb.shape == (2, 7) and torch.equal(emb[0, :3], torch.zeros(3)) and torch.equal(emb[0, 3:6], torch.ones(3))
    assert float(emb[1, 0]) == pytest.approx(math.sin(10.0)) and float(emb[0, 6]) == 0.0


def test_small_size_detects_fits_5_mb_and_the_size_multiple():
    state = uprestorer(**SIZES["small"]).state_dict()
    found = detect(state)
    assert {k: found[k] for k in SIZES["small"]} == SIZES["small"]
    uprestorer(**found).load_state_dict(state, strict=True)
    assert 4 * sum(v.numel() for v in state.values()) < 5_000_000
    multiple = models.info("uprestorer").size_multiple
    assert multiple == 2 ** 3 and uprestorer(**SIZES["small"])(X67[..., :64, :88]).shape == (1, 3, 64, 88)


def test_paper_size_registry_entry_loads_a_users_checkpoint_strictly(tmp_path):
    state = models.load("uprestorer", weights="random").module.state_dict()
    assert detect(state) == {"dim": 48, "num_blocks": [4, 6, 6, 8], "heads": [1, 2, 4, 8], "ffn_factor": 4.0,
                             "bias": False, "layer_norm": "WithBias", "sampling_steps": 3, "prompt_dim": 64,
                             "prompt_len": 5, "prompt_size": 64}
    path = tmp_path / "uprestorer.pth"
    torch.save(state, path)
    reloaded = models.load("uprestorer", weights=path).module.state_dict()
    assert reloaded.keys() == state.keys() and all(torch.equal(reloaded[k], state[k]) for k in state)

