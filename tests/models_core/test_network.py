"""NetworkRestorer: weights (random, registry file with sha256, user path), strict loading, gray modes,
noise-level input, and the one-line errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import models
from models.network import rgb_to_ycbcr
from restorebench.errors import ChecksumMismatch, InputError, WeightsUnavailable

X = torch.rand(1, 3, 67, 93, generator=torch.Generator().manual_seed(0))


def test_registry_weights_load_with_sha256_and_strict_keys(tiny_registry):
    from core_tiny_nets import tiny_cnn

    ref = tiny_cnn(depth=4)
    ref.load_state_dict(torch.load(tiny_registry / "restoration" / "tiny_cnn.pth", weights_only=True))
    r = models.load("tiny-cnn")
    assert models.availability("tiny-cnn")[0]
    assert torch.allclose(r(X), ref(X).clamp(0, 1), atol=1e-6)
    assert r.info.to_dict()["weights"][0]["name"] == "tiny_cnn.pth"


def test_user_checkpoint_path_loads_strictly(tiny_registry, tmp_path):
    from core_tiny_nets import tiny_cnn

    net = tiny_cnn(depth=4)
    torch.save({"params": net.state_dict()}, tmp_path / "wrapped.pth")
    info = models.info("tiny-cnn")
    import dataclasses

    from models.network import build_network

    built = build_network(dataclasses.replace(info, state_key="params"), tmp_path / "wrapped.pth")
    assert all(torch.equal(a, b) for a, b in zip(built.state_dict().values(), net.state_dict().values()))
    torch.save({"module." + k: v for k, v in net.state_dict().items()}, tmp_path / "dp.pth")
    built = build_network(dataclasses.replace(info, strip_prefix="module."), tmp_path / "dp.pth")
    assert torch.equal(built.state_dict()["body.0.weight"], net.state_dict()["body.0.weight"])


def test_mismatched_keys_corrupt_file_and_wrong_hash_give_clear_errors(tiny_registry, tmp_path):
    from core_tiny_nets import tiny_cnn

    torch.save(tiny_cnn(depth=3).state_dict(), tmp_path / "shallow.pth")
    with pytest.raises(InputError, match=r"does not match the architecture: 2 missing .*body.6.weight.* 2 with other shapes"):
        models.load("tiny-cnn", weights=tmp_path / "shallow.pth")
    (tmp_path / "corrupt.pth").write_bytes(b"not a checkpoint at all")
    with pytest.raises(InputError, match="not a readable PyTorch checkpoint"):
        models.load("tiny-cnn", weights=tmp_path / "corrupt.pth")
    ckpt = tiny_registry / "restoration" / "tiny_cnn.pth"
    ckpt.write_bytes(ckpt.read_bytes() + b"tampered")
    with pytest.raises(ChecksumMismatch, match="differs from the recorded"):
        models.load("tiny-cnn")
    ok, why = models.availability("tiny-cnn")
    assert not ok and "sha256" in why
    ckpt.unlink()
    with pytest.raises(WeightsUnavailable, match="tiny_cnn.pth .* not found; put it at"):
        models.load("tiny-cnn")


def test_bad_batches_are_refused_in_one_line(tiny_registry):
    r = models.load("tiny-cnn", weights="random")
    bad = [(torch.rand(1, 4, 32, 32), "expected Nx3xHxW"), (torch.rand(3, 32, 32), "expected Nx3xHxW"),
           (X.clone().index_fill_(2, torch.tensor([5]), float("nan")), "NaN"), (X * 2, "outside \\[0,1\\]"),
           (np.zeros((32, 32, 3), np.float32), "torch NCHW"), ((X * 255).to(torch.uint8), "floating")]
    for x, msg in bad:
        with pytest.raises(InputError, match=msg) as exc:
            r(x)
        assert "\n" not in str(exc.value)
    with pytest.raises(InputError, match="takes no text prompt"):
        r(X, prompt="remove the noise")
    with pytest.raises(InputError, match="takes no visual instruction"):
        r(X, instruction=X)
    with pytest.raises(InputError, match="unknown option"):
        models.load("tiny-cnn", weights="random", sigma=3)


def test_noise_level_input_fixed_and_estimated(tiny_registry):
    r = models.load("tiny-sigma", weights="random", noise_level=30)
    assert torch.allclose(r(X), torch.full_like(X, 30 / 255), atol=1e-6)
    clean = torch.full((2, 3, 64, 64), 0.5)
    noise = torch.randn(clean.shape, generator=torch.Generator().manual_seed(3))
    noisy = (clean + noise * torch.tensor([10.0, 25.0]).view(2, 1, 1, 1) / 255).clamp(0, 1)
    est = models.load("tiny-sigma", weights="random")(noisy)[:, 0, 0, 0] * 255
    assert torch.allclose(est, torch.tensor([10.0, 25.0]), atol=1.5)
    with pytest.raises(InputError, match="takes no noise level"):
        models.load("tiny-cnn", weights="random", noise_level=25)


def test_gray_networks_per_channel_and_on_luma(tiny_registry):
    per = models.load("tiny-gray-per-channel", weights="random")(X)
    assert torch.allclose(per, 0.5 * X, atol=1e-6)  # each of R, G, B halved as its own gray image
    on_y = models.load("tiny-gray-y", weights="random")(X)
    yin, yout = rgb_to_ycbcr(X), rgb_to_ycbcr(on_y)
    inside = ((on_y > 1e-4) & (on_y < 1 - 1e-4)).all(dim=1)  # pixels the final clamp left alone
    assert inside.float().mean() > 0.3
    assert torch.allclose(yout[:, 0][inside], 0.5 * yin[:, 0][inside], atol=1e-5)  # Y halved
    for c in (1, 2):  # Cb, Cr kept
        assert torch.allclose(yout[:, c][inside], yin[:, c][inside], atol=1e-5)


def test_fp16_flag_is_checked_against_the_registry(tiny_registry):
    with pytest.raises(InputError, match="fp16 is not supported"):
        models.load("tiny-cnn", weights="random", half=True)


def test_prompt_and_visual_instruction_reach_methods_that_take_them(tiny_registry):
    r = models.load("tiny-conditioned", weights="random")
    assert r.info.accepts_prompt and r.info.accepts_instruction
    x = X.expand(2, -1, -1, -1)
    y = r(x, prompt=["remove rain", "denoise"], instruction=torch.full((3, 20, 20), 0.25))
    assert torch.allclose(y[:, 0, 0, 0], torch.tensor([0.11 + 0.25, 0.07 + 0.25]), atol=1e-6)
    assert torch.allclose(r(x, prompt="dehaze")[:, 0, 0, 0], torch.full((2,), 0.06), atol=1e-6)
    with pytest.raises(InputError, match="list of 2 strings"):
        r(x, prompt=["only one"])
    with pytest.raises(InputError, match="instruction"):
        r(x, instruction=torch.rand(4, 20, 20))
