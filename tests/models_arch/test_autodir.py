"""AutoDIR on a tiny configuration of the real classes (diffusers UNet/VAE, open_clip CLIP, spandrel NAFNet):
the 2-step sampler on the CPU, the detect-restore loop, the training objective, CLIP checkpoint conversion, and
the registry entry (weights unavailable offline)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import yaml
from diffusion_helpers import fixed_batch, needs_diffusion, one_step_lowers

import models
from benchmark.leaderboard import short_reason
from models.inputs import prompt_spec
from models.network import NetworkRestorer
from restorebench.errors import InputError, WeightsUnavailable
from restorebench.seeding import torch_seeded

pytestmark = needs_diffusion


def tiny(**kwargs):
    from models.arch.autodir import autodir

    with torch_seeded(0):
        return autodir(config="tiny", **{"steps": 2, **kwargs}).eval()


def unet_calls(model) -> list:
    calls = []
    model.unet.register_forward_hook(lambda *_: calls.append(1))
    return calls


def test_two_step_sampler_runs_on_the_cpu_with_a_prompt_and_with_guidance():
    x = fixed_batch()[0]
    model = tiny(max_iterations=2)
    calls = unet_calls(model)
    # the tiny UNet and VAE need multiples of 4
    r = NetworkRestorer(replace(models.info("autodir-task-prompt"), size_multiple=4), model)
    y = r(x, prompt="A photo needs haze artifact reduction")
    assert len(calls) == 2 and y.shape == x.shape and 0 <= float(y.min()) and float(y.max()) <= 1
    assert torch.equal(y, r(x, prompt="A photo needs haze artifact reduction"))  # noise from the seeded generator
    assert not torch.equal(y, r(x, prompt=["A photo needs noise artifact reduction"] * 2))
    blind = NetworkRestorer(replace(models.info("autodir"), size_multiple=4), model)
    assert blind(x).shape == x.shape  # detected condition (the loop is tested below)
    with pytest.raises(InputError, match="takes no text prompt"):
        blind(x, prompt="A photo needs haze artifact reduction")
    guided = tiny(text_cfg=1.5, image_cfg=1.2)
    calls = unet_calls(guided)
    with torch.no_grad():
        out = guided(x, prompt=["A photo needs blur artifact reduction"] * 2)
    assert len(calls) == 6 and torch.isfinite(out).all()  # text + image, image only, neither: per step


def test_the_loop_uses_each_label_once_and_stops_on_no_artifact(monkeypatch):
    model = tiny(max_iterations=7)
    chosen, real = [], model.biqa.probabilities

    def recording(x, exclude=None):
        probs = real(x, exclude)
        probs[:, model.biqa.clean_index] = 0  # never clean: the loop must end by running out of labels
        chosen.append(probs.argmax(1).tolist())
        return probs

    monkeypatch.setattr(model.biqa, "probabilities", recording)
    with torch.no_grad():
        model(fixed_batch(n=1)[0])
    labels = [c[0] for c in chosen]
    assert len(labels) == 7 and len(set(labels)) == 7 and model.biqa.clean_index not in labels

    x = fixed_batch(n=1)[0]
    clean_only = torch.nn.functional.one_hot(torch.tensor([model.biqa.clean_index]), len(model.biqa.labels)).float()
    monkeypatch.setattr(model.biqa, "probabilities", lambda x, exclude=None: clean_only)
    monkeypatch.setattr(model, "restore", lambda *a: pytest.fail("restored an image judged clean"))
    with torch.no_grad():
        assert torch.equal(model(x), x)


def test_one_training_step_lowers_the_loss_on_a_fixed_batch():
    from models.arch.autodir import training_losses

    model = tiny()
    degraded, clean = fixed_batch()
    labels = torch.tensor([0, 4])

    def loss():
        return training_losses(model, degraded, clean, labels, torch.Generator().manual_seed(0))["total"]

    before, after = one_step_lowers(loss, list(model.parameters()))
    assert after < before


def test_biqa_finetune_step_lowers_fidelity_and_semantic_agnostic_loss():
    from models.arch.autodir import AUTODIR_LABELS, BIQA, biqa_loss, finetune_step
    from models.arch.autodir.biqa import fidelity_loss, image_side_parameters
    from models.arch.sd.clip import TINY_CLIP

    with torch_seeded(0):
        biqa = BIQA(TINY_CLIP)
    assert biqa.prompts[0] == "A photo needs noise artifact reduction" and biqa.labels == AUTODIR_LABELS
    degraded, clean = fixed_batch()
    labels = torch.tensor([0, 1])
    probs = biqa.probabilities(degraded)
    assert torch.allclose(probs.sum(1), torch.ones(2))
    assert float(fidelity_loss(torch.eye(3), torch.eye(3))) == pytest.approx(0.0, abs=1e-3)
    opt = torch.optim.Adam(image_side_parameters(biqa), lr=1e-3)
    before = finetune_step(biqa, opt, degraded, labels, clean)
    with torch.no_grad():
        assert float(biqa_loss(biqa, degraded, labels, clean)) < before
    with pytest.raises(InputError, match="'no'"):
        BIQA(TINY_CLIP, labels=("noise", "blur"))


def test_hugging_face_clip_weights_convert_to_open_clip():
    transformers = pytest.importorskip("transformers", reason="the reference CLIPModel comes from transformers")
    from models.arch.sd.clip import (
        TINY_CLIP,
        build_clip,
        hf_clip_to_open_clip,
        image_embeddings,
        preprocess,
        text_tokens,
        tokenize,
    )
    from models.network import load_strict

    vision, text = TINY_CLIP["vision_cfg"], TINY_CLIP["text_cfg"]
    config = transformers.CLIPConfig(
        text_config={"vocab_size": text["vocab_size"], "hidden_size": text["width"], "num_attention_heads": text["heads"],
                     "intermediate_size": 4 * text["width"], "num_hidden_layers": text["layers"],
                     "max_position_embeddings": text["context_length"], "hidden_act": "quick_gelu"},
        vision_config={"hidden_size": vision["width"], "num_attention_heads": vision["width"] // vision["head_width"],
                       "intermediate_size": 4 * vision["width"], "num_hidden_layers": vision["layers"],
                       "image_size": vision["image_size"], "patch_size": vision["patch_size"],
                       "hidden_act": "quick_gelu"},
        projection_dim=TINY_CLIP["embed_dim"])
    with torch_seeded(1):
        hf = transformers.CLIPModel(config).eval()
        oc = build_clip(TINY_CLIP).eval()
    load_strict(oc, hf_clip_to_open_clip(hf.state_dict()), "converted CLIP")
    x = fixed_batch()[0]
    tokens = tokenize(["A photo needs blur artifact reduction", ""])
    with torch.no_grad():
        pooled = hf.vision_model(pixel_values=preprocess(oc, x)).pooler_output
        ref_image = torch.nn.functional.normalize(hf.visual_projection(pooled), dim=-1)
        ref_tokens = hf.text_model(input_ids=tokens).last_hidden_state
        assert torch.allclose(image_embeddings(oc, x), ref_image, atol=1e-5)
        assert torch.allclose(text_tokens(oc, tokens), ref_tokens, atol=1e-5)


def test_registry_entry_shows_weights_unavailable_offline(tmp_path, monkeypatch):
    from models.arch.sd.parts import SD15_UNET, SD15_VAE, size_multiple

    monkeypatch.setenv("RESTOREBENCH_WEIGHTS", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("RESTOREBENCH_OFFLINE", "1")
    for name in ("autodir", "autodir-task-prompt"):
        info = models.info(name)
        assert info.size_multiple == size_multiple(SD15_UNET, SD15_VAE) == 64
        ok, why = models.availability(name)
        assert not ok and short_reason(why) == "weights unavailable"
    assert prompt_spec(models.info("autodir-task-prompt").inputs) == ("task", "A photo needs {} artifact reduction")
    assert not models.info("autodir").accepts_prompt  # blind: its own CLIP module detects
    with pytest.raises(WeightsUnavailable) as err:
        models.load("autodir")
    assert "autodir.ckpt" in str(err.value) and "\n" not in str(err.value)


def test_a_checkpoint_without_autodir_parts_is_refused_in_one_line(tmp_path):
    from models.arch.autodir import read_checkpoint

    path = tmp_path / "other.ckpt"
    torch.save({"state_dict": {"model.diffusion_model.out.2.bias": torch.zeros(4)}}, path)
    with pytest.raises(InputError, match="not an AutoDIR checkpoint") as err:
        read_checkpoint([path], tiny())
    assert "NAFNet." in str(err.value) and "\n" not in str(err.value)


def test_clip_weights_load_from_safetensors_and_zero_shot_names_the_missing_file(tmp_path, monkeypatch):
    from safetensors.torch import save_file

    from models.arch.autodir import zero_shot_biqa
    from models.arch.sd.clip import TINY_CLIP, build_clip, load_clip

    with torch_seeded(1):
        saved = build_clip(TINY_CLIP)
    save_file({k: v.contiguous() for k, v in saved.state_dict().items()}, tmp_path / "clip.safetensors")
    with torch_seeded(2):
        loaded = build_clip(TINY_CLIP)
    load_clip(loaded, tmp_path / "clip.safetensors")
    assert all(torch.equal(v, loaded.state_dict()[k]) for k, v in saved.state_dict().items())

    monkeypatch.setenv("RESTOREBENCH_WEIGHTS", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("RESTOREBENCH_OFFLINE", "1")
    with pytest.raises(WeightsUnavailable) as err:
        zero_shot_biqa()
    assert "open_clip_ViT-L-14-openai.safetensors" in str(err.value) and "\n" not in str(err.value)


SHAPES = Path(__file__).with_name("data") / "autodir_tiny_checkpoint_shapes.json"
"""Key names and shapes of a checkpoint in the layout of AutoDIR's release (PyTorch Lightning: LDM UNet and
VAE, Hugging Face CLIP under ``model_assessment.clipmodel.``, ``NAFNet.``, an unused ``cond_stage_model.``),
made with the authors' layer definitions at the ``tiny`` size."""


def test_the_released_checkpoint_layout_loads_through_the_resolver(tmp_path, monkeypatch):
    g = torch.Generator().manual_seed(0)
    state = {k: torch.arange(s[-1]).expand(*s).clone() if k.endswith("position_ids") else torch.randn(s, generator=g)
             for k, s in json.loads(SHAPES.read_text()).items()}
    torch.save({"state_dict": state, "global_step": 1}, tmp_path / "autodir.ckpt")
    entry = yaml.safe_load(models.registry.REGISTRY_FILE.read_text())["autodir-task-prompt"]
    entry.update(args={"config": "tiny", "steps": 2}, size_multiple=4)
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump({"tiny-autodir": entry}))
    monkeypatch.setenv("RESTOREBENCH_REGISTRY", str(tmp_path / "tiny.yaml"))
    monkeypatch.setenv("RESTOREBENCH_WEIGHTS", str(tmp_path))
    monkeypatch.setenv("RESTOREBENCH_OFFLINE", "1")
    r = models.load("tiny-autodir")  # read_checkpoint + strict load
    net = r.module
    assert torch.equal(net.unet.conv_in.weight, state["model.diffusion_model.input_blocks.0.0.weight"])
    assert torch.equal(net.vae.post_quant_conv.weight, state["first_stage_model.post_quant_conv.weight"])
    assert torch.equal(net.biqa.clip.text_projection, state["model_assessment.clipmodel.text_projection.weight"].t())
    assert torch.equal(net.scm.net.ending.weight, state["NAFNet.ending.weight"])
    assert r(fixed_batch()[0], prompt="A photo needs rain artifact reduction").shape == (2, 3, 32, 32)
