"""`restorebench grounds` and `restorebench instructions`: files, manifests, resume, sheet, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import degrade
from degrade.grounds import make_ground
from degrade.grounds.cli import item_seed
from degrade.grounds.sheet import GAP, HEADER, LABEL_WIDTH, residual_gain
from degrade.instructions import make_instruction
from restorebench.cli import main
from restorebench.imageio import read_image, to_uint8

RECIPE_YAML = """version: 1
steps:
  - {op: blur.gaussian, params: {sigma_x: 1.5, sigma_y: 1.5, angle_deg: 0.0}}
  - {op: noise.gaussian, params: {sigma: 20.0, gray: false, seed: 77}}
"""


def test_grounds_command_writes_pngs_and_manifest(tmp_path):
    assert main(["grounds", str(tmp_path), "-n", "3", "--seed", "5", "--size", "64"]) == 0
    manifest = json.loads((tmp_path / "grounds.json").read_text())
    assert [it["file"] for it in manifest["items"]] == ["ground_00000.png", "ground_00001.png", "ground_00002.png"]
    for i, item in enumerate(manifest["items"]):
        assert item["seed"] == item_seed(5, i) and set(item["elements"]) == {"regular", "random", "natural", "colors"}
        img = read_image(tmp_path / item["file"])
        np.testing.assert_array_equal(to_uint8(img), to_uint8(make_ground("te42", 64, item["seed"])))
    # resume: an existing file is kept as it is
    (tmp_path / "ground_00001.png").write_bytes(b"kept")
    assert main(["grounds", str(tmp_path), "-n", "3", "--seed", "5", "--size", "64"]) == 0
    assert (tmp_path / "ground_00001.png").read_bytes() == b"kept"


def test_instructions_command_writes_instructions_and_sheet(tmp_path):
    rpath = tmp_path / "r.yaml"
    rpath.write_text(RECIPE_YAML)
    out = tmp_path / "out"
    assert main(["instructions", "--recipe", str(rpath), str(out), "-n", "2", "--size", "64", "--sheet"]) == 0
    meta = json.loads((out / "00001.json").read_text())
    ins = make_instruction(degrade.Recipe.load(rpath), item_seed(0, 1), "te42", 64)
    assert meta["recipe"] == ins.recipe.to_dict() and meta["seed"] == ins.seed
    deg = read_image(out / "00001_degraded.png")
    assert np.abs(deg - ins.degraded).max() <= 0.5 / 255 + 1e-6
    residual = read_image(out / "00001_residual.png", convert=True) * 2 - 1
    assert np.abs(residual - ins.residual).max() < 1e-4
    sheet = read_image(out / "sheet.png")
    assert sheet.shape[0] == HEADER + 3 * (64 + GAP)  # two steps and the whole chain
    assert sheet.shape[1] == LABEL_WIDTH + 3 * (64 + GAP)


def test_sheet_without_recipe_has_one_row_per_operator(tmp_path):
    assert main(["instructions", str(tmp_path), "--sheet", "--size", "48", "--ops", "noise.*"]) == 0
    rows = [n for n in degrade.list_ops("noise.*") if 3 in degrade.get(n).severities]
    assert read_image(tmp_path / "sheet.png").shape[0] == HEADER + len(rows) * (48 + GAP)


def test_residual_gain_amplifies_faint_residuals_only():
    assert residual_gain(np.full((8, 8, 3), 0.4, np.float32)) == 1
    assert residual_gain(np.full((8, 8, 3), 0.1, np.float32)) == 4
    assert residual_gain(np.zeros((8, 8, 3), np.float32)) == 16


@pytest.mark.parametrize("argv, message", [
    (["instructions", "OUT"], "nothing to do"),
    (["instructions", "--recipe", "OUT/missing.yaml", "OUT"], "no such file"),
    (["grounds", "OUT", "--ground", "nope"], "--ground 'nope'"),
    (["instructions", "OUT", "--sheet", "--ops", "noise.*", "--severity", "9"], "no operator has that severity"),
])
def test_cli_errors_are_one_line(tmp_path, capsys, argv, message):
    argv = [a.replace("OUT", str(tmp_path / "o")) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
