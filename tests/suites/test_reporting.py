"""Report pieces beyond the leaderboard table: parameters and MACs of learned methods (measured, cached)."""

from __future__ import annotations

import json

import pytest
import torch

from benchmark import complexity


class ConvRestorer:
    """A restorer holding one 3->3 3x3 convolution."""

    def __init__(self) -> None:
        self.module = torch.nn.Conv2d(3, 3, 3, padding=1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)


def test_params_and_macs_of_a_convolution():
    got = complexity.measure(ConvRestorer(), size=32)
    # 3x3x3 weights per output channel plus 3 biases; one MAC per weight per output pixel
    assert got == {"params": 3 * 3 * 3 * 3 + 3, "macs": 3 * 3 * 3 * 3 * 32 * 32}


def test_method_complexity_is_measured_once_and_cached(tmp_path, monkeypatch):
    import models

    built = []
    monkeypatch.setattr(models, "load", lambda name, device: built.append(name) or ConvRestorer())
    first = complexity.method_complexity("airnet-small-aio3", "airnet-key", tmp_path)
    assert built == ["airnet-small-aio3"] and first == complexity.measure(ConvRestorer())
    assert first["macs"] == 84 * 256 * 256 - 3 * 256 * 256  # the MACs are counted at 256x256
    assert json.loads((tmp_path / "complexity" / "airnet-key.json").read_text()) == first
    monkeypatch.setattr(models, "load", lambda *a, **k: pytest.fail("measured twice"))
    assert complexity.method_complexity("airnet-small-aio3", "airnet-key", tmp_path) == first
    assert complexity.method_complexity("identity", "identity", tmp_path) is None  # classical: no network
    assert complexity.format_count(1_234_567) == "1.23 M" and complexity.format_count(950) == "950"
