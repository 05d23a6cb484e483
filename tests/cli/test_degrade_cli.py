"""`restorebench degrade` and `restorebench ops` end to end (in-process)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import degrade
from restorebench.cli import main
from restorebench.imageio import read_image, to_uint8


@pytest.fixture
def folder(tmp_path, photo_crops):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    Image.fromarray((photo_crops[0] * 255).astype(np.uint8)).save(src / "a.png")
    Image.fromarray((photo_crops[1] * 255).astype(np.uint8)).save(src / "sub" / "b.png")
    Image.fromarray((photo_crops[2][:, :, 0] * 255).astype(np.uint8)).save(src / "gray.png")
    return src


def test_degrade_op_shortcut_writes_replayable_sidecars(folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["degrade", str(folder), str(out), "--op", "noise.gaussian", "--severity", "2"]) == 1
    assert "gray.png: gray8" in capsys.readouterr().err
    for rel in ("a", "sub/b"):
        side = json.loads((out / f"{rel}.json").read_text())
        assert side["recipe"]["steps"][0]["params"]["sigma"] == 15.0
        clean = read_image(side["source"])
        again = degrade.replay(clean, side["recipe"])
        assert np.array_equal(to_uint8(again), to_uint8(read_image(out / f"{rel}.png")))
    assert main(["degrade", str(folder), str(out), "--op", "noise.gaussian", "--severity", "2", "--convert"]) == 0
    assert (out / "gray.png").is_file()


def test_degrade_recipe_spec_and_applied(folder, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("policy: chain\nitems:\n  - {op: noise.gaussian, ranges: {sigma: [5, 10]}}\n")
    assert main(["degrade", str(folder), str(tmp_path / "o1"), "--recipe", str(spec), "--seed", "4"]) == 1
    r1 = json.loads((tmp_path / "o1" / "a.json").read_text())["recipe"]
    applied = tmp_path / "applied.json"
    applied.write_text(json.dumps(r1))
    assert main(["degrade", str(folder), str(tmp_path / "o2"), "--recipe", str(applied)]) == 1
    assert (tmp_path / "o1" / "a.png").read_bytes() == (tmp_path / "o2" / "a.png").read_bytes()


def test_degrade_errors_are_one_line(folder, tmp_path, capsys):
    assert main(["degrade", str(folder), str(tmp_path / "o"), "--op", "noise.nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert "unknown operator 'noise.nope'" in err and "\n" not in err
    assert main(["degrade", str(folder), str(tmp_path / "o"), "--op", "noise.gaussian", "--severity", "7"]) == 2


def test_ops_listing(capsys):
    assert main(["ops", "noise.*", "--json"]) == 0
    infos = json.loads(capsys.readouterr().out)
    assert "noise.gaussian" in [i["name"] for i in infos]
