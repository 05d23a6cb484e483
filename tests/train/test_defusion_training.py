"""Training Defusion in the paper's two stages with restorebench train: the tokenizer and its critic on visual
instructions (each network moved by its own terms only), then the diffusion model with that tokenizer frozen
from --init; instructions made from each sample's recipe as the benchmark makes them; reproducible runs; one-line
refusals of a missing, foreign or changed --init."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest
import torch
from train_helpers import at, losses_around_one_step

pytest.importorskip("diffusers", reason="diffusers is not installed (pip install diffusers)")

import models
from degrade.instructions import make_instruction
from models.arch.defusion.tokenizer import critic_loss, tokenizer_loss
from models.network import build_module, read_state_dict
from restorebench.errors import InputError
from restorebench.seeding import draw_seed, sample_rng, torch_seeded
from train import TrainConfig, registry_entry, train
from train import loop as loop_module
from train.data import INSTRUCTION_STREAM, TrainStream, instruction_image
from train.losses import OBJECTIVES, Objective, lpips_distance, objective_for
from train.stages import InitFrom

TINY_GROUND = {"ground": "te42", "size": 112, "ground_seed": 0}
"""The visual ground of the tiny size's instructions."""
RECIPES = [
    {"version": 1, "steps": [{"op": "noise.gaussian", "params": {"sigma": 25.0, "gray": False, "seed": 1}}]},
    {"version": 1, "steps": [{"op": "haze.atmospheric", "params": {"airlight": 0.9, "beta": 0.8, "seed": 2,
                                                                   "space": "srgb", "tint": 0.0}}]},
]


def _batch() -> dict[str, torch.Tensor]:
    """Two 32 px pairs, their instructions on the tiny size's ground and per-sample seeds."""
    g = torch.Generator().manual_seed(5)
    gt = torch.rand(2, 3, 32, 32, generator=g)
    ins = torch.stack([instruction_image(json.dumps(r), TINY_GROUND, 7 + i) for i, r in enumerate(RECIPES)])
    return {"lq": (gt + 0.2 * torch.randn(gt.shape, generator=g)).clamp(0, 1), "gt": gt, "instruction": ins,
            "seed": torch.tensor([11, 12])}


def _tiny(stage: str) -> torch.nn.Module:
    with torch_seeded(0):
        return build_module(models.info(stage), "tiny")


def test_each_stage_trains_with_its_objective_and_the_first_is_no_restorer():
    first = objective_for(models.info("defusion-tokenizer").adapter)
    second = objective_for(models.info("defusion").adapter)
    assert first is OBJECTIVES["defusion-tokenizer"] and first.instructions and not first.restores
    assert second is OBJECTIVES["defusion"] and second.instructions and second.seeds and second.restores
    assert second.init == InitFrom("defusion-tokenizer", "tokenizer") and first.init is None
    assert models.list_models(family="stage") == ["defusion-tokenizer", "detector-drops"]
    assert "defusion" in models.list_models()
    assert "defusion-tokenizer" not in models.list_models()
    with pytest.raises(InputError, match="a training stage, not a restorer"):
        models.load("defusion-tokenizer", weights="random")


@pytest.mark.parametrize("stage, terms", [("defusion-tokenizer", {"mse", "vq", "perceptual", "adversarial", "critic"}),
                                          ("defusion", {"mse"})])
def test_one_step_lowers_each_stages_loss_on_a_fixed_batch(stage, terms):
    before, after, parts = losses_around_one_step(OBJECTIVES[stage], _tiny(stage), _batch())
    assert after < before and set(parts) == terms


def test_one_step_moves_the_tokenizer_and_the_critic_each_by_its_own_terms():
    net, batch = _tiny("defusion-tokenizer"), _batch()
    ins = net.tokenizer.fit(batch["instruction"])
    tokenizer, critic = list(net.tokenizer.parameters()), list(net.critic.parameters())
    loss, _ = OBJECTIVES["defusion-tokenizer"].loss(net, batch)
    both = torch.autograd.grad(loss, tokenizer + critic)
    gen, _, rec = tokenizer_loss(net.tokenizer, ins, net.critic, lpips_distance(ins.device))
    own = torch.autograd.grad(gen, tokenizer + critic, allow_unused=True)
    assert all(g is None for g in own[len(tokenizer):])  # the adversarial term reaches no critic weight
    hinge = torch.autograd.grad(critic_loss(net.critic, ins, rec), tokenizer + critic, allow_unused=True)
    assert all(g is None for g in hinge[:len(tokenizer)])  # the critic's term reaches no tokenizer weight
    own_critic = hinge[len(tokenizer):]
    # so the trainer's one optimizer step on the sum moves each network as a step on its own terms alone would
    for total, part in zip(both, own[:len(tokenizer)] + own_critic, strict=True):
        torch.testing.assert_close(total, part)
    assert all(any(float(g.abs().max()) > 0 for g in grads) for grads in (own[:len(tokenizer)], own_critic))


def test_a_training_sample_gets_the_instruction_degrade_makes_for_its_recipe(corpus):
    from degrade.corpus import PairedCorpus

    pairs = PairedCorpus(corpus)
    ground = {"ground": "te42", "size": 48, "ground_seed": 0}
    stream = TrainStream(pairs, range(len(pairs)), 4, 16, instruction=ground)
    for k in (0, 5):
        item, pair = stream[k], pairs[int(stream.order(0)[k])]
        made = make_instruction(json.loads(pair["recipe"]), draw_seed(sample_rng(4, k, INSTRUCTION_STREAM)), "te42",
                                48, ground_seed=0)
        torch.testing.assert_close(item["instruction"], torch.from_numpy(made.degraded).permute(2, 0, 1),
                                   rtol=0, atol=0)
        lq = pair["lq"].unfold(1, 16, 1).unfold(2, 16, 1)  # every 16 px crop: the sample's is one, unflipped
        assert bool((lq == item["lq"][:, None, None]).flatten(3).all(dim=(0, 3)).any())


@pytest.fixture(scope="module")
def stages(corpus, tmp_path_factory) -> dict:
    """Two steps of each stage at the tiny size (32 px patches, batch 2), each run twice with the same seed."""
    out = tmp_path_factory.mktemp("defusion")
    base = TrainConfig(model="defusion-tokenizer", size="tiny", corpus=str(corpus), out=str(out / "tok"), steps=2,
                       batch=2, patch=32, warmup=1, ckpt_every=2, val_every=2, val_count=2, progress=False)
    tok = [train(base), train(at(base, out / "tok-again"))]
    second = at(base, out / "def", model="defusion", init=str(tok[0].weights))
    return {"tok": tok, "def": [train(second), train(at(second, out / "def-again"))], "cfg": second}


def test_the_stages_run_reproducibly_and_the_tokenizer_stays_as_trained(stages):
    tok, dfs = stages["tok"], stages["def"]
    assert tok[0].sha256 == tok[1].sha256 and dfs[0].sha256 == dfs[1].sha256
    assert tok[0].summary["val_psnr"] is None and "--init" in tok[0].summary["load"]
    assert dfs[0].summary["val_psnr"] is not None and dfs[0].summary["parameters"] <= 1_200_000
    first, second = read_state_dict(tok[0].weights), read_state_dict(dfs[0].weights)
    frozen = {k: v for k, v in first.items() if k.startswith("tokenizer.")}
    assert frozen and all(torch.equal(second[k], v) for k, v in frozen.items())
    recorded = json.loads((dfs[0].run / "config.json").read_text())
    assert recorded["init"] == str(tok[0].weights) and recorded["init_sha256"] == tok[0].sha256
    entry = registry_entry(dfs[0].run)  # a registered run declares the ground it was trained on
    assert entry["inputs"] == {"instruction": TINY_GROUND}
    restorer = models.load("defusion", weights=dfs[0].weights)
    x = torch.rand(1, 3, 24, 24)
    assert restorer(x, instruction=torch.rand(3, 40, 40)).shape == x.shape


def test_the_diffusion_stage_refuses_a_missing_foreign_or_changed_tokenizer(stages, tmp_path):
    cfg, tok = stages["cfg"], stages["tok"][0]
    cases = [(replace(cfg, init=None), "pass --init RUN/final.pth"),
             (replace(cfg, init=str(tmp_path / "none.pth")), "no such file"),
             (replace(cfg, size="small"), "a run of defusion-tokenizer at size tiny"),
             (replace(cfg, model="promptir", size="small", patch=16), "trained in one stage")]
    alone = tmp_path / "alone" / "final.pth"  # without its run's config.json, the strict load tells
    alone.parent.mkdir()
    shutil.copy(tok.weights, alone)
    cases.append((replace(cfg, size="small", init=str(alone)), "does not match the architecture"))
    for bad, message in cases:
        with pytest.raises(InputError, match=message) as err:
            train(at(bad, tmp_path / "run"))
        assert "\n" not in str(err.value)
        assert not (tmp_path / "run").exists()
    changed = tmp_path / "changed" / "final.pth"
    changed.parent.mkdir()
    shutil.copy(tok.weights, changed)
    run = at(cfg, tmp_path / "resumed", init=str(changed), steps=1)
    train(run)
    state = torch.load(changed, weights_only=True)
    state["critic.net.0.bias"] += 1
    torch.save(state, changed)
    with pytest.raises(InputError, match="init_sha256 differ"):
        train(run, resume=True)


def test_the_trainer_hands_the_objective_each_samples_instruction(stages, tmp_path, monkeypatch):
    seen = []
    base = OBJECTIVES["defusion-tokenizer"]

    def recording(model, batch):
        seen.append(batch["instruction"])
        return base.loss(model, batch)

    hooked = Objective(base.name, 1, base.prepare, recording, restores=False, instructions=True)
    monkeypatch.setattr(loop_module, "objective_for", lambda adapter: hooked)
    cfg = at(stages["cfg"], tmp_path / "run", model="defusion-tokenizer", init=None, steps=1)
    train(cfg)
    from degrade.corpus import PairedCorpus

    pairs = PairedCorpus(cfg.corpus)
    stream = TrainStream(pairs, range(len(pairs)), cfg.seed, cfg.patch, instruction=TINY_GROUND)
    assert len(seen) == 1 and torch.equal(seen[0], torch.stack([stream[0]["instruction"], stream[1]["instruction"]]))
