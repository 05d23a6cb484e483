"""spandrel-built entries: random instances map 67x93, spandrel's detector recognizes their state dicts with the
registry's hyper-parameters, official calling conventions, academic opt-in and missing-extra errors."""

from __future__ import annotations

import sys

import pytest
import torch
from arch_helpers import X67, random_roundtrip

import models
from models import spandrel_adapter
from models.spandrel_adapter import _signed_range, _square_canvas, detect, spandrel_net
from restorebench.errors import InputError

ENTRIES = [n for n in models.list_models() if models.info(n).adapter == "models.spandrel_adapter:spandrel_net"]
UNDETECTABLE = {"Uformer": {"img_size"}}
"""Hyper-parameters that spandrel cannot read off a state dict (it assumes a default)."""
ROUNDTRIP = {"retinexformer-lol-v1", "mprnet-derain", "drunet-color"}
"""Entries also saved in their checkpoint layout (state_key, prefix) and reloaded through models.load."""


def _needs_extra(name: str) -> None:
    if models.info(name).args["arch"] in ("Restormer", "MPRNet"):
        pytest.importorskip("spandrel_extra_arches", reason="academic extra not installed")


@pytest.mark.parametrize("name", ENTRIES)
def test_random_instance_maps_67x93_and_is_detected_by_spandrel(name, tmp_path):
    _needs_extra(name)
    module = random_roundtrip(name, tmp_path, save=name in ROUNDTRIP, allow_academic=True)
    args = dict(models.info(name).args)
    arch = args.pop("arch")
    found, hparams = detect(module.state_dict())
    assert found == arch
    skip = UNDETECTABLE.get(arch, set())
    assert {k: hparams[k] for k in args if k not in skip} == {k: v for k, v in args.items() if k not in skip}


@pytest.mark.parametrize("name", ENTRIES)
def test_official_weights_are_reported_unavailable_here(name):
    ok, reason = models.availability(name, allow_academic=True)
    assert not ok and "weights unavailable" in reason and models.info(name).weights[0].name in reason


def test_academic_entries_need_the_opt_in(monkeypatch):
    monkeypatch.delenv("RESTOREBENCH_ACADEMIC", raising=False)
    with pytest.raises(InputError, match="RESTOREBENCH_ACADEMIC=1"):
        models.load("restormer-derain", weights="random")


def test_missing_extra_names_the_pip_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "spandrel_extra_arches.architectures.Restormer", None)
    spandrel_adapter.adapted_class.cache_clear()
    try:
        with pytest.raises(InputError, match=r"restorebench\[academic\]"):
            spandrel_net("Restormer")
    finally:
        spandrel_adapter.adapted_class.cache_clear()


def test_unknown_architecture_and_bad_hyperparameter_are_one_line_errors():
    with pytest.raises(InputError, match="not wired"):
        spandrel_net("NoSuchNet")
    with pytest.raises(InputError, match="bad hyper-parameters"):
        spandrel_net("RetinexFormer", n_feats=40)


def test_drunet_gets_the_noise_level_as_a_fourth_channel():
    net = spandrel_net("DRUNet", in_nc=4, out_nc=3, nc=[8, 16, 32, 64], nb=1).eval()
    x = X67[..., :64, :88]
    with torch.no_grad():
        a, b = net(x, sigma=torch.tensor([0.0])), net(x, sigma=torch.tensor([0.2]))
    assert a.shape == x.shape and not torch.equal(a, b)
    with pytest.raises(InputError, match="noise level"):
        net(x)


def test_mixdehazenet_range_and_uformer_canvas_conventions():
    seen: list[tuple[tuple[int, ...], float]] = []

    def identity(t: torch.Tensor) -> torch.Tensor:
        seen.append((tuple(t.shape), float(t.min())))
        return t

    assert torch.allclose(_signed_range(identity, X67), X67, atol=1e-6)
    assert seen[-1][1] < -0.9
    assert torch.equal(_square_canvas(identity, X67), X67)
    assert seen[-1][0] == (1, 3, 128, 128)
