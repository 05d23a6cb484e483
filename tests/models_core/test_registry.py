"""The registry file, its schema checks and the timm-style listing."""

from __future__ import annotations

import pytest

import models
from models.registry import parse_entry
from restorebench.errors import InputError

BASE = {"family": "classical", "adapter": "models.classical.identity:Identity", "tasks": ["all"],
        "paper": "p", "code": {"license": "MIT"}}


def test_bundled_registry_parses_and_lists_every_classical_method():
    names = models.list_models(family="classical")
    assert set(names) >= {"identity", "bm3d", "dct-denoise", "nlm", "dcp", "lime", "clahe-gamma", "wiener",
                          "richardson-lucy", "jpeg-deblock", "derain"}
    for name in models.list_models():
        d = models.info(name).to_dict()
        assert d["name"] == name and d["family"] in ("classical", "learned", "all-in-one")
        assert all(len(w["sha256"] or "x" * 64) == 64 for w in d["weights"])


def test_list_models_filters():
    assert models.list_models("d*", family="classical") == ["dct-denoise", "dcp", "derain"]
    assert "identity" in models.list_models(task="haze")  # tasks: [all] matches every task
    assert set(models.list_models(["nlm", "bm3d"])) == {"nlm", "bm3d"}
    assert "nlm" not in models.list_models(family="classical", exclude="n*")
    assert set(models.list_models(task="lowlight", family="classical")) == {"identity", "lime", "clahe-gamma"}
    with pytest.raises(InputError, match="family"):
        models.list_models(family="neural")


def test_unknown_name_suggests_close_names():
    with pytest.raises(InputError, match=r"unknown model 'richardson-lucey'; did you mean richardson-lucy"):
        models.load("richardson-lucey")


@pytest.mark.parametrize("change, message", [
    ({"famliy": "classical"}, "unknown key"),
    ({"family": "neural"}, "family 'neural'"),
    ({"adapter": "no_colon"}, "adapter"),
    ({"channels": 1}, "gray_mode"),
    ({"channels": 3, "gray_mode": "y"}, "gray_mode applies only"),
    ({"size_multiple": 0}, "size_multiple"),
    ({"weights": [{"file": "a.pth", "sha256": "abc"}]}, "64 lower-case hex"),
    ({"weights": [{"file": "a.pth", "md5": "x"}]}, "unknown weights key"),
    ({"license_opt_in": "maybe"}, "license_opt_in"),
    ({"receptive_field": -3}, "receptive_field"),
    ({"thresholds": {"noise": 0.3}}, "only to family: detector"),
    ({"family": "detector", "tasks": ["clean", "noise"], "thresholds": {"blur": 0.3}}, "'blur' is not one of"),
    ({"family": "detector", "tasks": ["clean", "noise"], "thresholds": {"clean": 0.3}}, "'clean' is not one of"),
    ({"family": "detector", "tasks": ["clean", "noise"], "thresholds": {"noise": 1.0}}, "strictly between 0 and 1"),
    ({"family": "detector", "tasks": ["clean", "noise"], "thresholds": [0.3]}, "thresholds must be a mapping"),
])
def test_schema_errors_name_the_entry_and_key(change, message):
    with pytest.raises(InputError, match=message) as exc:
        parse_entry("bad-entry", {**BASE, **change}, "test.yaml")
    assert "test.yaml: entry 'bad-entry'" in str(exc.value) and "\n" not in str(exc.value)


def test_extra_registry_file_adds_methods(tiny_registry):
    assert models.list_models("tiny-*")[:2] == ["tiny-cnn", "tiny-unshuffled"]
    assert models.info("tiny-unshuffled").size_multiple == 4


def test_duplicate_entry_across_files_is_an_error(tmp_path, monkeypatch):
    extra = tmp_path / "dup.yaml"
    extra.write_text("nlm:\n  family: classical\n  adapter: a.b:C\n  tasks: [noise]\n  paper: p\n  code: {}\n")
    monkeypatch.setenv("RESTOREBENCH_REGISTRY", str(extra))
    with pytest.raises(InputError, match="'nlm' is defined twice"):
        models.list_models()


def test_a_detectors_thresholds_are_read_as_probabilities():
    info = parse_entry("det", {**BASE, "family": "detector", "tasks": ["clean", "noise", "blur"],
                               "thresholds": {"noise": 0.25}}, "test.yaml")
    plain = parse_entry("plain", BASE, "test.yaml")
    assert info.thresholds == {"noise": 0.25} and plain.thresholds == {}
    assert info.to_dict()["thresholds"] == {"noise": 0.25} and "thresholds" not in plain.to_dict()  # same fingerprint
