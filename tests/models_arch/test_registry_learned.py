"""The learned and all-in-one registry entries: provenance fields, availability, and one-line errors for bad
checkpoints and bad input."""

from __future__ import annotations

import importlib
import re
import shutil

import pytest
import torch
from arch_helpers import X67

import models
from models.network import import_adapter
from restorebench.errors import ChecksumMismatch, InputError

LEARNED = [n for n in models.list_models() if models.info(n).family in ("learned", "all-in-one")
           and not isinstance(import_adapter(models.info(n).adapter), type)]
"""Network entries (composite methods such as auto are Restorer classes with no weight file of their own)."""
SHARED_FILES = {"KAIR_dncnn_25.pth", "KAIR_dncnn_gray_blind.pth", "KAIR_dncnn_color_blind.pth", "KAIR_ffdnet_color.pth",
                "dncnn3_from_matconvnet.pth", "ffdnet_gray_from_matconvnet.pth", "fdncnn_color_from_matconvnet.pth",
                "PReNet6_Rain100H.pth", "PReNet6_Rain100L.pth", "PReNet6_Rain1400.pth", "PReNet_real1.pth",
                "ZeroDCE_Epoch99.pth", "AODNet_dehazer.pth"}


@pytest.mark.parametrize("name", LEARNED)
def test_entry_records_paper_code_license_and_weight_provenance(name):
    info = models.info(name)
    assert info.paper and info.code.get("repo") and info.code.get("license")
    assert info.weights
    for wf in info.weights:  # one file, or several read by the architecture's read_checkpoint
        assert wf.license and wf.source and (wf.url is None or wf.url.startswith("https://"))
        assert wf.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", wf.sha256)
        assert (wf.sha256 is not None) == (wf.name in SHARED_FILES or wf.bundled is not None)
    if len(info.weights) > 1:
        assert callable(getattr(importlib.import_module(info.adapter.partition(":")[0]), "read_checkpoint", None))
    if info.channels == 1:
        assert info.gray_mode in ("per_channel", "y")


def test_every_shared_checkpoint_has_an_entry_and_is_available(shared):
    on_disk = {p.name for p in (shared / "weights" / "restoration").glob("*.pth")}
    registered = {models.info(n).weights[0].name for n in LEARNED}
    assert on_disk - registered == {"ffdnet_color_from_matconvnet.pth"}
    for name in LEARNED:
        if models.info(name).weights[0].name in SHARED_FILES:
            assert models.availability(name)[0], name


def test_wrong_hash_and_corrupt_checkpoints_are_refused(shared, tmp_path, monkeypatch):
    src = shared / "weights" / "restoration"
    shutil.copy(src / "KAIR_dncnn_gray_blind.pth", tmp_path / "KAIR_dncnn_25.pth")
    monkeypatch.setenv("RESTOREBENCH_WEIGHTS", str(tmp_path))
    with pytest.raises(ChecksumMismatch, match="KAIR_dncnn_25.pth"):
        models.load("dncnn-25")
    bad = tmp_path / "broken.pth"
    bad.write_bytes((src / "AODNet_dehazer.pth").read_bytes()[:4000])
    with pytest.raises(InputError, match="not a readable PyTorch checkpoint"):
        models.load("aodnet", weights=bad)
    with pytest.raises(InputError, match="does not match the architecture"):
        models.load("zerodce", weights=src / "AODNet_dehazer.pth")


def test_bad_batches_and_names_give_one_line_errors():
    r = models.load("aodnet", weights="random")
    with pytest.raises(InputError, match="3xHxW"):
        r(torch.rand(1, 4, 32, 32))
    nan = X67.clone()
    nan[0, 0, 3, 3] = float("nan")
    with pytest.raises(InputError, match="NaN"):
        r(nan)
    with pytest.raises(InputError, match="dncnn"):
        models.load("dncnn-99")
