"""Config validation, the example config, task weights over 1,000 samples, and per-sample determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from corpus_helpers import CONFIG

from degrade.corpus import load_config, parse_config
from degrade.corpus.sampling import choose_task, draw_sample
from restorebench.errors import InputError
from restorebench.seeding import sample_rng

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("patch, match", [
    ({"tasks": []}, "non-empty list"),
    ({"tasks": [{"name": "a", "weight": 0, "spec": {"op": "noise.gaussian"}}]}, "positive"),
    ({"tasks": [{"name": "a", "weight": 1, "spec": {"op": "noise.nope"}}]}, "unknown operator"),
    ({"tasks": [{"name": "a", "weight": 1}]}, "exactly name, weight and spec"),
    ({"tasks": CONFIG["tasks"][:1] * 2}, "duplicate task"),
    ({"patches": {"mode": "random", "stride": 8}}, "grid only"),
    ({"patches": {"mode": "tiles"}}, "mode='tiles'"),
    ({"patches": {"size": 4}}, "size=4"),
    ({"output": {"bits": 12}}, "8 or 16"),
    ({"colour": 1}, "unknown key"),
])
def test_bad_configs_raise_one_line_errors(patch, match):
    with pytest.raises(InputError, match=match) as info:
        parse_config({**CONFIG, **patch})
    assert "\n" not in str(info.value)


def test_example_config_loads_and_round_trips():
    cfg = load_config(REPO / "configs" / "corpus" / "example.yaml")
    assert abs(sum(cfg.weights) - 1) < 1e-12 and len(cfg.tasks) >= 3
    assert parse_config(cfg.to_dict()) == cfg
    for i in range(20):
        task, recipe = draw_sample(cfg, i)
        assert recipe.steps and task.name in {t.name for t in cfg.tasks}


def test_task_weights_hold_over_1000_samples():
    cfg = parse_config({**CONFIG, "tasks": [
        {"name": n, "weight": w, "spec": {"op": "noise.gaussian"}} for n, w in (("a", 0.3), ("b", 0.2), ("c", 0.2), ("d", 0.3))]})
    names = [draw_sample(cfg, i)[0].name for i in range(1000)]
    counts = np.array([names.count(n) for n in "abcd"])
    expected = 1000 * np.array([0.3, 0.2, 0.2, 0.3])
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 16.27, (counts, chi2)  # chi-square, 3 degrees of freedom, p = 0.001


def test_choose_task_edges_and_recipe_determinism():
    rng = np.random.default_rng(0)
    assert {choose_task(rng, [0.0, 1.0, 0.0]) for _ in range(200)} == {1}
    cfg = parse_config(CONFIG)
    a, b = draw_sample(cfg, 5), draw_sample(cfg, 5)
    assert a[0] == b[0] and a[1].to_json() == b[1].to_json()
    # the task is the first draw of sample_rng(seed, i), so it is independent of the specs' contents
    u = sample_rng(cfg.seed, 5).random()
    cdf = np.cumsum(cfg.weights)
    assert a[0].name == cfg.tasks[int(np.searchsorted(cdf, u, side="right"))].name


def test_open_source_rejects_what_is_not_a_source(tmp_path):
    from degrade.corpus import open_source

    (tmp_path / "a.png").write_bytes(b"\x89PNG")
    (tmp_path / "list.txt").write_text("a.png\nb.png\na.png\n")
    (tmp_path / "bin.lst").write_bytes(b"\xff\xfe\x00bad")
    for path, match in ((tmp_path / "a.png", "not a file list"), (tmp_path / "list.txt", "more than once"),
                        (tmp_path / "bin.lst", "UTF-8"), (tmp_path / "nope", "no such")):
        with pytest.raises(InputError, match=match):
            open_source(path)


def test_command_line_options_override_the_config():
    from degrade.corpus.cli import build_generate_parser, with_options

    cfg = load_config(REPO / "configs" / "corpus" / "example.yaml")
    parse = build_generate_parser().parse_args
    whole = with_options(cfg, parse(["src", "out", "--mode", "whole", "--seed", "5", "--bits", "16"]))
    assert (whole.patches.mode, whole.patches.per_image, whole.seed, whole.output.bits) == ("whole", 1, 5, 16)
    grid = with_options(cfg, parse(["src", "out", "--mode", "grid", "--stride", "64", "--instructions"]))
    assert (grid.patches.stride, grid.patches.size, grid.instructions.enabled) == (64, 256, True)
    assert with_options(cfg, parse(["src", "out"])) == cfg
    with pytest.raises(InputError, match="stride"):
        with_options(cfg, parse(["src", "out", "--stride", "8"]))
