"""The shared registry: lookups, listing, duplicates, and third-party additions through entry points."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from restorebench.errors import InputError
from restorebench.registry import Registry

REPO = Path(__file__).resolve().parents[2]


def things() -> Registry[SimpleNamespace]:
    reg: Registry[SimpleNamespace] = Registry("thing")
    for name, colour in (("red.apple", "red"), ("green.apple", "green"), ("red.cherry", "red")):
        reg.add(name, SimpleNamespace(colour=colour))
    return reg


def test_get_list_and_filters():
    reg = things()
    assert reg.get("red.cherry").colour == "red"
    assert reg.list() == ["green.apple", "red.apple", "red.cherry"]
    assert reg.list("*.apple", colour="red") == ["red.apple"]
    assert reg.list(["red.*", "green.*"], exclude="*.cherry", colour=None) == ["green.apple", "red.apple"]
    with pytest.raises(InputError, match="things have no such field"):
        reg.list(size=3)


def test_unknown_names_suggest_close_ones_on_one_line():
    with pytest.raises(InputError, match=r"^unknown thing 'red.chery'; did you mean red.cherry") as exc:
        things().get("red.chery")
    assert "\n" not in str(exc.value)
    with pytest.raises(InputError, match=r"known: green.apple, red.apple, red.cherry$"):
        things().get("zzzzzzzz")


def test_duplicates_name_their_origin_but_re_adding_the_same_object_is_fine():
    reg = things()
    same = reg.get("red.apple")
    assert reg.add("red.apple", same) is same
    with pytest.raises(InputError, match=r"^extra.yaml: thing 'red.apple' is defined twice$"):
        reg.add("red.apple", SimpleNamespace(colour="red"), "extra.yaml")


def test_discovery_runs_once_on_first_use():
    calls = []
    reg: Registry[int] = Registry("number", discover=lambda: calls.append(reg.add("one", 1)))
    assert calls == []
    assert reg.get("one") == 1 and reg.list() == ["one"] and calls == [1]


PLUGIN = {
    "acme_ops.py": '''
import numpy as np
from degrade import Operator, register
from degrade.params import Param

@register("acme.invert")
class Invert(Operator):
    schema = {"amount": Param(float, 0.0, 1.0)}
    ranges = {"amount": [0.5, 1.0]}
    severities = {1: {"amount": 0.2}}

    def _apply(self, img, params):
        return (1 - params["amount"]) * img + params["amount"] * (1 - img)
''',
    "acme_metrics.py": '''
from benchmark.metrics.base import ImageMetric, register_metric

@register_metric("acme-mae", kind="fr", higher_is_better=False, description="mean absolute error")
class MAE(ImageMetric):
    def score_prepared(self, pred, gt):
        return (pred - gt).abs().mean(dim=(1, 2, 3))
''',
    "acme_models.py": '''
ENTRIES = {"acme-identity": {"family": "classical", "adapter": "models.classical.identity:Identity",
                             "tasks": ["all"], "paper": "none", "code": {}}}
''',
    "acme_suites/acme-suite.yaml": "name: acme-suite\n",
    "acme_suites.py": "from pathlib import Path\nFOLDER = str(Path(__file__).with_name('acme_suites'))\n",
    "acme-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: acme\nVersion: 0.1\n",
    "acme-0.1.dist-info/entry_points.txt": """[restorebench.operators]
acme = acme_ops
[restorebench.metrics]
acme = acme_metrics
[restorebench.models]
acme = acme_models:ENTRIES
[restorebench.suites]
acme = acme_suites:FOLDER
""",
}

CHECK = '''
import numpy as np, torch, degrade, models
from benchmark.metrics import functional, list_metrics
from benchmark.suites import list_suites
from restorebench.seeding import sample_rng
img = np.full((16, 16, 3), 0.25, np.float32)
out, params = degrade.get("acme.invert")(img, sample_rng(0, 0), severity=1)
print(round(float(out.mean()), 4), "acme.invert" in degrade.list_ops("acme.*"))
x = torch.zeros(1, 3, 16, 16)
print("acme-mae" in list_metrics(kind="fr"), float(functional.score("acme-mae", x, x + 0.5, protocol="rgb")[0]))
print(models.info("acme-identity").family, "acme-identity" in models.list_models(task="noise"))
print("acme-suite" in list_suites())
'''


def test_an_installed_package_adds_an_operator_metric_model_and_suite(tmp_path):
    import os

    for rel, text in PLUGIN.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]), "OMP_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-c", CHECK], check=False, capture_output=True, text=True, env=env,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split("\n")[:4] == ["0.35 True", "True 0.5", "classical True", "True"]
