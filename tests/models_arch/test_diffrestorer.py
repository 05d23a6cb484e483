"""Diff-Restorer on a tiny configuration of the real classes (diffusers UNet/VAE, open_clip CLIP): the 2-step
UniPC sampler on the CPU, the training losses, the control residuals matching the UNet, and loading a Stable
Diffusion diffusers folder through the resolver (and one line when it is missing)."""

from __future__ import annotations

import pytest
import torch
import yaml
from diffusion_helpers import fixed_batch, needs_diffusion, one_step_lowers

import models
from restorebench.errors import InputError, WeightsUnavailable
from restorebench.seeding import torch_seeded

pytestmark = needs_diffusion


def tiny(**kwargs):
    from models.arch.diffrestorer import diffrestorer

    with torch_seeded(0):
        return diffrestorer(config="tiny", **{"steps": 2, **kwargs}).eval()


def test_two_step_unipc_sampler_runs_on_the_cpu():
    model = tiny()
    calls = []
    model.unet.register_forward_hook(lambda *_: calls.append(1))
    x = fixed_batch()[0]
    with torch.no_grad():
        y = model(x)
        assert len(calls) == 2 and y.shape == x.shape and torch.isfinite(y).all()
        assert torch.equal(y, model(x))  # noise from the seeded generator


def test_control_residuals_match_every_unet_skip_feature():
    from models.arch.diffrestorer.modules import unet_residual_slots
    from models.arch.sd.parts import SD15_UNET

    assert len(unet_residual_slots(SD15_UNET)) == 12  # SD 1.5: conv_in, 2 resnets x 4 levels, 3 downsamplers
    model = tiny()
    stored = []
    for block in model.unet.down_blocks:
        block.register_forward_hook(lambda m, i, out: stored.extend(out[1]))
    x = fixed_batch()[0]
    with torch.no_grad():
        tokens, d, latent = model.conditions(x)
        _, down, mid = model.control(latent, d)
        model.eps(latent, torch.tensor([10, 10]), tokens, (down, mid))
    assert [r.shape for r in down[1:]] == [s.shape for s in stored]  # down[0]: conv_in's output


def test_one_training_step_lowers_the_loss_on_a_fixed_batch():
    from models.arch.diffrestorer import trainable_parameters, training_losses

    model = tiny()
    degraded, clean = fixed_batch()
    frozen = {k: v.clone() for k, v in model.unet.state_dict().items()}

    def loss():
        return training_losses(model, degraded, clean, torch.Generator().manual_seed(0))["total"]

    params = trainable_parameters(model)
    assert params and not any(p is q for p in params for q in model.unet.parameters())
    before, after = one_step_lowers(loss, params)
    assert after < before
    assert all(torch.equal(v, model.unet.state_dict()[k]) for k, v in frozen.items())


def test_missing_stable_diffusion_folder_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv("RESTOREBENCH_WEIGHTS", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("RESTOREBENCH_OFFLINE", "1")
    with pytest.raises(WeightsUnavailable) as err:
        models.load("diff-restorer")
    msg = str(err.value)
    assert "\n" not in msg
    assert "stable-diffusion-v1-5/unet/diffusion_pytorch_model.safetensors" in msg and str(tmp_path) in msg


def test_a_diffusers_folder_loads_through_the_resolver(tmp_path, monkeypatch):
    from safetensors.torch import save_file

    from models.arch.diffrestorer import trained_state_dict

    source = tiny()
    root = tmp_path / "weights"
    for part in ("unet", "vae"):
        getattr(source, part).save_pretrained(root / "stable-diffusion-v1-5" / part)
    save_file({k: v.contiguous() for k, v in source.clip.state_dict().items()},
              root / "open_clip_ViT-L-14-openai.safetensors")
    torch.save(trained_state_dict(source), root / "diff-restorer-modules.pth")
    entry = yaml.safe_load(models.registry.REGISTRY_FILE.read_text())["diff-restorer"]
    entry.update(args={"steps": 2, "config": "tiny"}, size_multiple=4)  # the tiny UNet and VAE: multiples of 4
    extra = tmp_path / "tiny.yaml"
    extra.write_text(yaml.safe_dump({"tiny-diff-restorer": entry}))
    monkeypatch.setenv("RESTOREBENCH_REGISTRY", str(extra))
    monkeypatch.setenv("RESTOREBENCH_WEIGHTS", str(root))
    monkeypatch.setenv("RESTOREBENCH_OFFLINE", "1")
    r = models.load("tiny-diff-restorer")
    x = fixed_batch()[0]
    with torch.no_grad():
        assert torch.equal(r(x), source(x).clamp(0, 1))
    (root / "stable-diffusion-v1-5" / "vae" / "config.json").unlink()
    with pytest.raises(InputError, match="config.json missing") as err:
        models.load("tiny-diff-restorer")
    assert "\n" not in str(err.value)
