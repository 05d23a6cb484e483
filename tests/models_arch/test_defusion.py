"""Defusion mechanics on a tiny configuration on the CPU: the DDIM sampler runs 2 steps, one training step of the
tokenizer and of the diffusion model lowers its loss on a fixed batch, the instruction adapter changes the output
when the instruction changes (and only through its own keys and values), the sizes (and the tokenizer stage's
tokenizer at each) are as declared, and the runner feeds it per image."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("diffusers", reason="diffusers is not installed (pip install diffusers)")

import models
from benchmark.runner import Method, run_suite
from benchmark.suites.schema import build_suite
from models.arch.defusion import (
    SIZES,
    Defusion,
    PatchDiscriminator,
    critic_loss,
    defusion_tokenizer,
    detect,
    tokenizer_loss,
)
from models.arch.defusion.adapter import InstructionAttnProcessor
from models.arch.defusion.stage import SIZES as STAGE_SIZES
from models.arch.defusion.stage import detect as stage_detect
from models.inputs import instruction_spec
from models.network import NetworkRestorer
from models.restorer import ModelInfo
from restorebench.errors import InputError
from restorebench.seeding import torch_seeded

TINY = {"levels": (8, 16), "codebook_size": 16, "codebook_dim": 8, "tokenizer_layers": 1, "tokenizer_groups": 4,
        "instruction_size": 32, "unet_channels": (8, 16), "unet_layers": 1, "context_dim": 16, "heads": 2,
        "unet_groups": 4, "bridge_channels": (4, 8), "n_null": 2, "ground": "simple"}


@pytest.fixture(scope="module")
def tiny() -> Defusion:
    with torch_seeded(0):
        return Defusion(**TINY).eval()


def batch(seed: int, n: int = 2, side: int = 16) -> torch.Tensor:
    return torch.rand(n, 3, side, side, generator=torch.Generator().manual_seed(seed))


def test_sampler_runs_two_steps_deterministically(tiny):
    lq, ins = batch(1), batch(2, side=40)  # instructions of another size are resized
    with torch.no_grad():
        a, b = tiny.sample(lq, ins, steps=2), tiny.sample(lq, ins, steps=2)
    assert a.shape == lq.shape and torch.equal(a, b) and 0 <= float(a.min()) and float(a.max()) <= 1
    assert list(tiny.scheduler.timesteps) == [999, 499]
    with pytest.raises(InputError, match="defusion needs a visual instruction"):
        tiny(lq)


def test_one_diffusion_training_step_lowers_the_loss_on_a_fixed_batch():
    with torch_seeded(1):
        model = Defusion(**TINY)
    hq = batch(3, n=4)
    lq = (hq + 0.2 * batch(4, n=4)).clamp(0, 1)
    ins = batch(5, n=4, side=32)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)

    def loss() -> torch.Tensor:
        return model.diffusion_loss(lq, hq, ins, [torch.Generator().manual_seed(9 + i) for i in range(4)])

    before = loss()
    before.backward()
    opt.step()
    with torch.no_grad():
        assert float(loss()) < float(before)


def test_one_tokenizer_training_step_lowers_its_loss_and_the_critic_trains():
    with torch_seeded(2):
        model = Defusion(**TINY)
        critic = PatchDiscriminator(width=8, layers=2)
    tok, ins = model.tokenizer, batch(6, n=4, side=32)

    def l1(a, b):
        return (a - b).abs().mean()

    opt = torch.optim.Adam(tok.parameters(), lr=1e-3)
    before, terms, rec = tokenizer_loss(tok, ins, critic, l1)
    assert set(terms) == {"mse", "vq", "perceptual", "adversarial"} and rec.shape == ins.shape
    before.backward()
    assert all(p.grad is None for p in critic.parameters())  # the adversarial term trains the tokenizer only
    opt.step()
    with torch.no_grad():
        after, _, rec = tokenizer_loss(tok, ins, critic, l1)
        assert float(after) < float(before)
    copt = torch.optim.Adam(critic.parameters(), lr=1e-3)
    c0 = critic_loss(critic, ins, rec)
    c0.backward()
    copt.step()
    with torch.no_grad():
        assert float(critic_loss(critic, ins, rec)) < float(c0)


def test_the_adapter_changes_the_output_when_the_instruction_changes(tiny):
    lq = batch(7, n=1)
    clean = tiny.tokenizer.clean
    noisy = (clean + 0.3 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(8))).clamp(0, 1)
    t = torch.tensor([500])
    feats = tiny.bridge.features(lq)
    y_t = batch(10, n=1) * 2 - 1
    with torch.no_grad():
        assert not torch.equal(tiny.condition(clean), tiny.condition(noisy))
        a = tiny.denoise(y_t, t, feats, tiny.condition(clean))
        b = tiny.denoise(y_t, t, feats, tiny.condition(noisy))
        assert float((a - b).abs().max()) > 1e-4
        procs = [p for p in tiny.unet.attn_processors.values() if isinstance(p, InstructionAttnProcessor)]
        assert procs and len(procs) == sum(name.endswith("attn2.processor") for name in tiny.unet.attn_processors)
        saved = [p.to_v_ins.weight.clone() for p in procs]
        for p in procs:  # without the instruction branch's values (no bias) the instruction cannot matter
            assert p.to_v_ins.bias is None
            p.to_v_ins.weight.zero_()
        a0 = tiny.denoise(y_t, t, feats, tiny.condition(clean))
        b0 = tiny.denoise(y_t, t, feats, tiny.condition(noisy))
        for p, w in zip(procs, saved):
            p.to_v_ins.weight.copy_(w)
    torch.testing.assert_close(a0, b0)


def test_paper_and_small_sizes_follow_the_declared_configuration():
    with torch.device("meta"):
        paper = Defusion(**SIZES["paper"])
    vq = paper.tokenizer.vq
    assert tuple(vq.config.block_out_channels) == (128, 128, 256, 256, 512)
    assert tuple(vq.quantize.embedding.weight.shape) == (1024, 256)
    assert paper.instruction_spec == {"ground": "te42", "size": 224, "ground_seed": 0} and paper.steps == 4
    assert paper.instruction_spec == instruction_spec(models.info("defusion").inputs)  # the registry's ground
    assert paper.tokenizer.clean.shape == (1, 3, 224, 224)
    paper.to("meta")  # the ground is made on the CPU
    tokens = paper.tokenizer.tokens(torch.empty(1, 3, 224, 224, device="meta"))
    assert tuple(tokens.shape) == (1, 14 * 14, 256)
    n = {"paper": sum(p.numel() for p in paper.parameters())}
    for size in ("small", "tiny"):
        with torch.device("meta"):
            net = Defusion(**SIZES[size])
        n[size] = sum(p.numel() for p in net.parameters())
        assert detect(net.state_dict()) == SIZES[size]
    assert n["small"] < n["paper"] / 10 and n["tiny"] <= 1_200_000  # tiny: a float32 file under 5 MB


@pytest.mark.parametrize("size", ["paper", "small", "tiny"])
def test_the_tokenizer_stage_has_the_tokenizer_of_each_size(size):
    with torch.device("meta"):
        net, first = Defusion(**SIZES[size]), defusion_tokenizer(**STAGE_SIZES[size])
    tokenizer = {k: v.shape for k, v in net.state_dict().items() if k.startswith("tokenizer.")}
    assert tokenizer == {k: v.shape for k, v in first.state_dict().items() if not k.startswith("critic.")}
    assert first.instruction_spec == net.instruction_spec
    assert stage_detect(first.state_dict()) == STAGE_SIZES[size]


def test_the_runner_feeds_defusion_its_instruction_per_image(tmp_path, tiny):
    inputs = {"instruction": {"ground": "simple", "size": 32, "ground_seed": 0}}
    info = ModelInfo(name="defusion-tiny", family="all-in-one", adapter="models.arch.defusion:defusion",
                     tasks=("all",), paper="-", code={}, inputs=inputs, size_multiple=2)
    restorer = NetworkRestorer(info, tiny)
    suite = build_suite({"name": "d", "data_root": ".", "protocol": "rgb", "metrics": ["psnr"],
                         "task_defaults": {"source": "skimage:astronaut,coffee", "crop": 24, "seed": 0},
                         "tasks": {"noise": {"spec": {"op": "noise.gaussian", "severity": 2}}}})
    rr = run_suite(suite, [Method("defusion-tiny", lambda: restorer.restore_image, inputs=inputs)],
                   tmp_path / "w", tmp_path / "c", quiet=True)
    res = rr.results
    assert (res["status"] == "ok").all() and len(res) == 2
    assert res["conditioning"].str.startswith("instruction: noise.gaussian (recipe; simple 32 px").all()
    assert np.isfinite(res["value"]).all()
