"""Helpers of the architecture tests (a uniquely named module: test folders share one import path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

import models

X67 = torch.rand(1, 3, 67, 93, generator=torch.Generator().manual_seed(67))
"""The odd-sized batch every entry must map to the same shape."""


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR in dB of two float batches in [0,1] over all pixels and channels (``a`` clipped)."""
    mse = float(((a.clamp(0, 1) - b) ** 2).mean())
    return 10.0 * np.log10(1.0 / mse)


def to_batch(images: list[np.ndarray]) -> torch.Tensor:
    """HxWx3 numpy images -> Nx3xHxW float32 tensor."""
    return torch.stack([torch.from_numpy(np.ascontiguousarray(i, dtype=np.float32)).permute(2, 0, 1) for i in images])


def gain(name: str, noisy: torch.Tensor, clean: torch.Tensor, **options) -> tuple[float, float]:
    """(PSNR before, PSNR after) of entry ``name`` with its registry weights on ``noisy``."""
    restorer = models.load(name, **options)
    return psnr(noisy, clean), psnr(restorer(noisy), clean)


def random_roundtrip(name: str, tmp_path: Path, save: bool = True, **options) -> torch.nn.Module:
    """Load ``name`` with random weights and map X67 to the same shape in [0,1]; with ``save``, write its state
    dict in the entry's checkpoint layout (state_key, prefix) and check that ``models.load(weights=path)`` loads
    it strictly (same tensors). Entries with a noise-level input get ``noise_level=25`` (no estimation on
    random data). Returns the module."""
    if "noise_level" in models.info(name).inputs:
        options.setdefault("noise_level", 25)
    r = models.load(name, weights="random", **options)
    y = r(X67)
    assert y.shape == X67.shape and y.dtype == torch.float32
    assert bool(torch.isfinite(y).all()) and float(y.min()) >= 0.0 and float(y.max()) <= 1.0
    if save:
        info = r.info
        state = r.module.state_dict()
        path = tmp_path / f"{name}.pth"
        layout = {(info.strip_prefix or "") + k: v for k, v in state.items()}
        torch.save({info.state_key: layout} if info.state_key else layout, path)
        reloaded = models.load(name, weights=path, **options).module.state_dict()
        assert reloaded.keys() == state.keys() and all(torch.equal(reloaded[k], state[k]) for k in state)
    return r.module


def shared_state_dict(name: str, shared: Path) -> dict:
    """The state dict of entry ``name``'s registry file in ../shared, after checking that the registry's sha256
    equals the one in shared/weights/restoration/SHA256SUMS and that the resolver verified the file."""
    from models.network import read_state_dict
    from restorebench.weights import resolve, sha256_file

    info = models.info(name)
    wf = info.weights[0]
    lines = (shared / "weights" / "restoration" / "SHA256SUMS").read_text().split("\n")
    sums = {parts[1]: parts[0] for parts in (ln.split() for ln in lines) if len(parts) == 2}
    assert wf.sha256 == sums[wf.name], f"{name}: registry sha256 differs from SHA256SUMS"
    path = resolve(wf)
    assert sha256_file(path) == wf.sha256
    return read_state_dict(path, info.state_key, info.strip_prefix)
