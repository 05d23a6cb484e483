"""The method table of ``auto``: validation of a user's file and the choice made from report folders."""

from __future__ import annotations

import json

import pytest

from degrade.labels import DEGRADATIONS
from models.detect.table import best_methods, load_table, render
from restorebench.errors import InputError


def test_the_shipped_table_names_registry_methods_for_every_label():
    table = load_table()
    assert set(table) == set(DEGRADATIONS)
    assert table["noise"] and table["rain"]


def test_a_label_takes_one_method_or_a_ranked_list(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("noise: [nlm, dncnn-color-blind]\nrain: derain\nhaze: null\n")
    table = load_table(path)
    assert table["noise"] == ["nlm", "dncnn-color-blind"] and table["rain"] == ["derain"]
    assert table["haze"] == [] and table["blur"] == []


@pytest.mark.parametrize("text, match", [("fog: dcp\n", "unknown label"), ("noise: nope\n", "not a registry method"),
                                         ("- noise\n", "mapping"), ("noise: [\n", "not valid YAML"),
                                         ("noise: {a: 1}\n", "neither a method"), ("noise: [nlm, 3]\n", "3")])
def test_bad_tables_are_refused_in_one_line(tmp_path, text, match):
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=match):
        load_table(path)


def _report(root, name, tasks, rows):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"config": {"tasks": tasks}}))
    cols = sorted({c for r in rows.values() for c in r})
    lines = ["# a comment line", "method," + ",".join(cols)]
    lines += [m + "," + ",".join(str(r.get(c, "")) for c in cols) for m, r in rows.items()]
    (folder / "leaderboard.csv").write_text("\n".join(lines) + "\n")


def test_best_methods_average_the_gain_over_single_label_tasks(tmp_path):
    tasks = {"n": {"spec": {"op": "noise.gaussian", "params": {"sigma": 25.0}}},
             "r": {"spec": None, "kinds": ["rain"]},
             "nr": {"spec": {"items": [{"op": "noise.gaussian"}, {"op": "rain.streaks"}]}},
             "h": {"spec": {"op": "haze.atmospheric", "severity": 3}}}
    _report(tmp_path, "suite", tasks, {
        "identity": {"n/psnr↑": 20, "r/psnr↑": 25, "nr/psnr↑": 15, "h/psnr↑": 12},
        "nlm": {"n/psnr↑": 26}, "dncnn-color-blind": {"n/psnr↑": 28}, "derain": {"r/psnr↑": 27, "nr/psnr↑": 30},
        "dcp": {"h/psnr↑": 11}})
    table = best_methods(tmp_path, lambda name: name != "dncnn-color-blind")
    assert table["noise"]["methods"] == ["nlm"] and table["noise"]["gain_db"] == 6
    assert table["rain"]["methods"] == ["derain"] and table["rain"]["gain_db"] == 2
    assert table["haze"]["methods"] == [] and "suite/h" in table["haze"]["evidence"]
    assert table["raindrop"]["methods"] == []
    path = tmp_path / "t.yaml"
    path.write_text(render(table, tmp_path))
    assert load_table(path)["noise"] == ["nlm"]


def test_candidates_run_best_first_down_to_the_first_that_ships(tmp_path):
    """Methods that need an instruction or a prompt (defusion-tiny-aio3) are never candidates."""
    _report(tmp_path, "suite", {"n": {"spec": {"op": "noise.gaussian", "params": {"sigma": 25.0}}}},
            {"identity": {"n/psnr↑": 20}, "restormer-real-denoise": {"n/psnr↑": 31},
             "dncnn-color-blind": {"n/psnr↑": 30}, "bm3d": {"n/psnr↑": 27}, "nlm": {"n/psnr↑": 26},
             "defusion-tiny-aio3": {"n/psnr↑": 35},
             "dct-denoise": {"n/psnr↑": 25}, "derain": {"n/psnr↑": 19}})
    table = best_methods(tmp_path, lambda name: True)
    assert table["noise"]["methods"] == ["restormer-real-denoise", "dncnn-color-blind", "bm3d", "nlm"]
    assert table["noise"]["gain_db"] == 11
