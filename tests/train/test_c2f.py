"""Step-dependent objectives: the per-sample seeds and run progress the trainer hands them, and Up-Restorer's
two-stage C2F objective (coarse noise loss, then the sampled image's MS-SSIM + L1), reproducible and resumable."""

from __future__ import annotations

import pytest
import torch
from train_helpers import at

import models
from models.network import build_module
from restorebench.seeding import sample_rng, torch_seeded
from train import loop as loop_module
from train import train
from train.data import OBJECTIVE_STREAM, SEED_BOUND
from train.losses import C2F_FINE_FROM, OBJECTIVES, Objective, c2f_loss, ms_ssim_loss_weights


class Killed(Exception):
    """Stands in for SIGKILL inside the loop."""


def _batch(progress: float) -> dict:
    g = torch.Generator().manual_seed(5)
    gt = torch.rand(2, 3, 16, 16, generator=g)
    return {"lq": (gt + 0.2 * torch.randn(2, 3, 16, 16, generator=g)).clamp(0, 1), "gt": gt,
            "seed": torch.tensor([11, 12]), "progress": progress}


def test_the_objective_gets_each_steps_progress_and_per_sample_seeds(fast, tmp_path, monkeypatch):
    seen: list[tuple[float, list[int]]] = []
    base = OBJECTIVES["l1"]

    def recording(model, batch):
        seen.append((batch["progress"], batch["seed"].tolist()))
        return base.loss(model, batch)

    hooked = Objective("l1", 1, base.prepare, recording, seeds=True, progress=True)
    monkeypatch.setattr(loop_module, "objective_for", lambda adapter: hooked)
    train(at(fast, tmp_path / "run"))
    assert [p for p, _ in seen] == [0.0, 0.25, 0.5, 0.75]
    expected = [[int(sample_rng(fast.seed, k, OBJECTIVE_STREAM).integers(0, SEED_BOUND)) for k in (2 * s, 2 * s + 1)]
                for s in range(4)]
    assert [s for _, s in seen] == expected and len({x for _, s in seen for x in s}) == 8


def test_c2f_trains_the_noise_first_then_the_sampled_image_reproducibly():
    with torch_seeded(0):
        net = build_module(models.info("uprestorer"), "small")
    coarse, parts = c2f_loss(net, _batch(0.0))
    assert set(parts) == {"noise_l1"} and float(coarse.detach()) > 0
    fine, parts = c2f_loss(net, _batch(C2F_FINE_FROM))
    assert set(parts) == {"l1", "ms_ssim"} and 0 < parts["ms_ssim"] < 1
    assert float(fine.detach()) == pytest.approx(0.84 * (1 - parts["ms_ssim"]) + 0.16 * parts["l1"], rel=1e-5)
    fine.backward()
    assert all(p.grad is not None for p in net.stages.parameters())
    assert float(c2f_loss(net, _batch(0.9))[0].detach()) == float(fine.detach())


def test_ms_ssim_uses_the_scales_a_patch_holds():
    assert len(ms_ssim_loss_weights(16)) == 1 and len(ms_ssim_loss_weights(64)) == 3
    assert len(ms_ssim_loss_weights(256)) == 5
    for side in (16, 64, 256):
        assert sum(ms_ssim_loss_weights(side)) == pytest.approx(1.0)


def test_uprestorer_resumes_across_the_stage_switch_with_the_uninterrupted_weights(fast, tmp_path, monkeypatch):
    cfg = at(fast, tmp_path / "whole", model="uprestorer")
    whole = train(cfg)
    calls = {"n": 0}
    base = OBJECTIVES["c2f"]

    def dying(model, batch):
        calls["n"] += 1
        if calls["n"] > 2:
            raise Killed
        return c2f_loss(model, batch)

    monkeypatch.setattr(loop_module, "objective_for",
                        lambda adapter: Objective("c2f", 1, base.prepare, dying, seeds=True, progress=True))
    cut = at(cfg, tmp_path / "cut")
    with pytest.raises(Killed):
        train(cut)
    monkeypatch.undo()
    assert train(cut, resume=True).sha256 == whole.sha256


def test_fine_stage_ms_ssim_gradient_stays_finite_when_a_scale_is_anti_correlated():
    # a patch that is the negative of its target: the loss protocol clamps contrast-structure at 0, and the
    # gradient of 0 ** w (w < 1) is infinite, which makes the whole gradient NaN; the loss's floor keeps it finite
    from benchmark.metrics.pixel import filter_valid_conv, ms_ssim
    from benchmark.protocols import PEAK
    from train.losses import MS_SSIM_FLOOR, MS_SSIM_LOSS_PROTOCOL

    y, x = torch.meshgrid(torch.linspace(0, 1, 64, dtype=torch.float64), torch.linspace(0, 1, 64,
                          dtype=torch.float64), indexing="ij")
    gt = (0.5 + 0.4 * torch.sin(6 * x) * torch.cos(5 * y)).expand(1, 3, 64, 64) * PEAK
    weights = ms_ssim_loss_weights(64)
    grads = []
    for floor in (None, MS_SSIM_FLOOR):
        pred = (PEAK - gt).clone().requires_grad_(True)
        (1 - ms_ssim(pred, gt, MS_SSIM_LOSS_PROTOCOL, weights, filter_valid_conv, floor=floor).mean()).backward()
        grads.append(pred.grad)
    assert torch.isnan(grads[0]).any() and torch.isfinite(grads[1]).all()
