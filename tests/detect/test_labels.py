"""The detector label vocabulary: operator -> label, severities read off recipes, training targets."""

from __future__ import annotations

import math

import numpy as np
import pytest

from degrade.labels import (
    DEGRADATIONS,
    LABELS,
    detection_targets,
    footprint,
    op_label,
    recipe_labels,
    step_severity,
    visible_steps,
)
from degrade.recipe import Recipe
from degrade.registry import get, list_ops
from degrade.spec import CLEAN, sample_recipe
from restorebench.seeding import sample_rng


def test_every_operator_has_a_label_and_raindrops_and_low_resolution_have_their_own():
    assert {op_label(op) for op in list_ops()} == set(DEGRADATIONS)
    assert op_label("rain.drops") == "raindrop" and op_label("rain.streaks") == "rain"
    assert op_label("resize.down") == "sr" and op_label("noise.poisson") == "noise"
    assert LABELS[0] == "clean"


def test_recipe_labels_in_order_and_clean_without_operators():
    assert recipe_labels(["rain.drops", "noise.gaussian", "noise.camera", "resize.down"]) == ["raindrop", "noise", "sr"]
    assert recipe_labels([]) == ["clean"]


@pytest.mark.parametrize("op", [op for op in list_ops() if get(op).severities])
def test_a_severity_table_row_gives_back_its_level(op):
    for level in get(op).severities:
        params = get(op).sample(sample_rng(0, level), level)
        assert step_severity(op, params) == level


def test_params_between_rows_take_the_nearest_level_and_tables_are_needed():
    assert step_severity("noise.gaussian", {"sigma": 27.0}) == 3
    assert step_severity("noise.gaussian", {"sigma": 48.0}) == 5
    assert step_severity("jpeg.compress", {"quality": 60}) == 1
    assert step_severity("blur.kernel", {}) is None


def test_detection_targets_of_a_mixture_and_of_a_clean_sample():
    recipe = sample_recipe({"policy": "chain", "items": [
        {"op": "rain.drops", "severity": 4}, {"op": "noise.gaussian", "params": {"sigma": 30.0}},
        {"op": "noise.gaussian", "params": {"sigma": 40.0}}, {"op": "jpeg.compress", "severity": 2}]}, sample_rng(0, 0))
    t = detection_targets(recipe)
    on = {k for k, v in zip(LABELS, t["labels"]) if v}
    assert on == {"raindrop", "noise", "jpeg"}
    sev = dict(zip(LABELS, t["severity"].tolist()))
    assert sev["raindrop"] == 4 and sev["noise"] == 4 and sev["jpeg"] == 2 and sev["haze"] == 0
    assert t["sigma"][0] == pytest.approx(50.0) and t["quality"][0] == 18
    assert detection_targets(recipe.to_json())["labels"].tolist() == t["labels"].tolist()
    clean = detection_targets(sample_recipe(CLEAN, sample_rng(0, 1)))
    assert clean["labels"].tolist() == [1.0] + [0.0] * len(DEGRADATIONS)
    assert math.isnan(clean["sigma"][0]) and math.isnan(clean["quality"][0])


def test_a_present_label_without_a_severity_table_has_an_unknown_severity():
    t = detection_targets({"steps": [{"op": "blur.kernel", "params": {}}]}, ("blur", "noise"))
    assert math.isnan(t["severity"][0]) and t["severity"][1] == 0


def _sparse_drops_recipe(clean: np.ndarray) -> Recipe:
    """Lens drops too sparse to land on a small image (0.003 expected on 24x24 px; none does here), then noise."""
    recipe = sample_recipe({"policy": "chain", "items": [
        {"op": "rain.drops", "params": {"density": 0.05, "radius": 4.0, "zoom": 2.0, "blur": 1.0}},
        {"op": "noise.gaussian", "params": {"sigma": 20.0}}]}, sample_rng(0, 0))
    assert np.array_equal(get("rain.drops").apply(clean, recipe.steps[0].params), clean)
    return recipe


def test_steps_that_changed_nothing_are_not_visible_and_not_labelled(astronaut):
    clean = astronaut[:24, :24]
    recipe = _sparse_drops_recipe(clean)
    assert [op for op, _ in visible_steps(recipe, clean)] == ["noise.gaussian"]
    assert recipe_labels(s.op for s in recipe.steps) == ["raindrop", "noise"]
    t = detection_targets(recipe, clean=clean)
    on = {k for k, v in zip(LABELS, t["labels"]) if v}
    assert on == {"noise"} and dict(zip(LABELS, t["severity"].tolist()))["raindrop"] == 0
    only_drops = Recipe(recipe.steps[:1])
    assert detection_targets(only_drops, clean=clean)["labels"].tolist() == [1.0] + [0.0] * len(DEGRADATIONS)
    assert detection_targets(only_drops)["labels"][LABELS.index("raindrop")] == 1.0


def test_drops_that_land_are_visible(astronaut):
    recipe = sample_recipe({"op": "rain.drops", "severity": 5}, sample_rng(0, 2))
    assert [op for op, _ in visible_steps(recipe, astronaut)] == ["rain.drops"]


def test_the_footprint_of_drops_is_where_they_changed_the_image(astronaut):
    img = astronaut[:128, :128]
    params = get("rain.drops").sample(sample_rng(0, 1), 5)
    recipe = {"steps": [{"op": "noise.gaussian", "params": {"sigma": 5.0, "gray": False, "seed": 1}},
                        {"op": "rain.drops", "params": params}]}
    mark = footprint(recipe, 128, 128)
    assert mark.shape == (128, 128) and mark.dtype == np.float32 and 0 <= mark.min() and mark.max() == 1
    changed = np.abs(get("rain.drops").apply(img, params) - img).max(-1)
    assert changed[mark > 0.99].min() > 0 and changed[mark > 0.99].mean() > 10 * changed[mark == 0].mean()
    assert footprint({"steps": recipe["steps"][:1]}, 128, 128) is None
    assert get("noise.gaussian").footprint(128, 128, recipe["steps"][0]["params"]) is None
