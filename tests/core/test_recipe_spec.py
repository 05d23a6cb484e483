"""Recipes and specs: serialization round trips, replay, policies, validation (using noise.gaussian)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import degrade
from degrade.spec import all_orders, sample_recipe
from restorebench.errors import InputError
from restorebench.seeding import sample_rng

LEAF_A = {"op": "noise.gaussian", "severity": 1}
LEAF_B = {"op": "noise.gaussian", "ranges": {"sigma": [30, 40]}}
LEAF_C = {"op": "noise.gaussian", "params": {"sigma": 3.0, "gray": True}}


def test_recipe_round_trips_json_and_yaml(photo_crops):
    recipe = sample_recipe({"policy": "chain", "items": [LEAF_A, LEAF_B, LEAF_C]}, sample_rng(0, 0))
    for text, parse in ((recipe.to_json(), degrade.Recipe.from_json), (recipe.to_yaml(), degrade.Recipe.from_yaml)):
        again = parse(text)
        assert again == recipe
        assert degrade.replay(photo_crops[0], again).tobytes() == degrade.replay(photo_crops[0], recipe).tobytes()


def test_recipe_file_load(tmp_path, photo_crops):
    recipe = sample_recipe(LEAF_B, sample_rng(3, 1))
    (tmp_path / "r.json").write_text(recipe.to_json())
    (tmp_path / "r.yaml").write_text(recipe.to_yaml())
    assert degrade.Recipe.load(tmp_path / "r.json") == degrade.Recipe.load(tmp_path / "r.yaml") == recipe


def test_same_seed_same_bytes_and_samples_differ(photo_crops):
    spec = {"policy": "chain", "items": [LEAF_A]}
    r0, r0b, r1 = (sample_recipe(spec, sample_rng(7, i)) for i in (0, 0, 1))
    assert r0 == r0b
    a, b = degrade.replay(photo_crops[0], r0), degrade.replay(photo_crops[0], r1)
    noise_a, noise_b = a - photo_crops[0], b - photo_crops[0]
    assert abs(np.corrcoef(noise_a.ravel(), noise_b.ravel())[0, 1]) < 0.05


def test_chain_keeps_order_and_shuffle_permutes():
    chain = sample_recipe({"policy": "chain", "items": [LEAF_A, LEAF_B, LEAF_C]}, sample_rng(0, 0))
    sigmas = [s.params["sigma"] for s in chain.steps]
    assert sigmas[0] == 8.0 and 30 <= sigmas[1] <= 40 and sigmas[2] == 3.0
    orders = set()
    for i in range(40):
        r = sample_recipe({"policy": "shuffle", "items": [LEAF_A, LEAF_B, LEAF_C]}, sample_rng(0, i))
        orders.add(tuple(3.0 if s.params["sigma"] == 3.0 else 8.0 if s.params["sigma"] == 8.0 else 35 for s in r.steps))
    assert len(orders) == 6


def test_the_clean_spec_applies_no_operator(photo_crops):
    from degrade.spec import CLEAN

    recipe = sample_recipe(CLEAN, sample_rng(0, 0))
    assert recipe.steps == ()
    np.testing.assert_array_equal(degrade.replay(photo_crops[0], recipe), photo_crops[0])
    nested = sample_recipe({"policy": "one_of", "items": [CLEAN, LEAF_A], "weights": [1, 0]}, sample_rng(0, 1))
    assert nested.steps == ()


def test_one_of_respects_weights():
    spec = {"policy": "one_of", "items": [LEAF_A, LEAF_C], "weights": [3, 1]}
    picks = [sample_recipe(spec, sample_rng(1, i)).steps[0].params["sigma"] for i in range(2000)]
    frac = np.mean(np.array(picks) == 8.0)
    assert abs(frac - 0.75) < 0.04


def test_subset_bounds_and_probabilities():
    spec = {"policy": "subset", "items": [LEAF_A, LEAF_B, LEAF_C], "p": [1.0, 0.0, 0.5], "min": 1}
    lens = [len(sample_recipe(spec, sample_rng(2, i)).steps) for i in range(400)]
    assert set(lens) == {1, 2}
    assert abs(np.mean(np.array(lens) == 2) - 0.5) < 0.08
    with pytest.raises(InputError, match="impossible"):
        sample_recipe({"policy": "subset", "items": [LEAF_A], "p": 0.0, "min": 1}, sample_rng(0, 0))


def test_severity_range_draws_every_level():
    spec = {"op": "noise.gaussian", "severity": [2, 4]}
    sigmas = {sample_recipe(spec, sample_rng(6, i)).steps[0].params["sigma"] for i in range(60)}
    assert sigmas == {15.0, 25.0, 35.0}


def test_some_of_counts():
    spec = {"policy": "some_of", "items": [LEAF_A, LEAF_B, LEAF_C], "min": 2, "max": 3}
    lens = {len(sample_recipe(spec, sample_rng(4, i)).steps) for i in range(100)}
    assert lens == {2, 3}


def test_all_orders_yields_every_permutation():
    specs = all_orders([LEAF_A, LEAF_B, LEAF_C])
    assert len(specs) == 6
    firsts = [json.dumps(s["items"], sort_keys=True) for s in specs]
    assert len(set(firsts)) == 6


@pytest.mark.parametrize("bad, match", [
    ({"op": "noise.nope"}, "unknown operator"),
    ({"op": "noise.gaussian", "severity": 6}, "severity"),
    ({"op": "noise.gaussian", "severity": 0}, "severity"),
    ({"op": "noise.gaussian", "severity": [1, 9]}, "severity"),
    ({"op": "noise.gaussian", "severity": "high"}, "severity"),
    ({"policy": "sometimes", "items": [LEAF_A]}, "unknown policy"),
    ({"policy": "shuffle", "items": []}, "non-empty"),
    ({"policy": "chain"}, "non-empty"),
    ({"op": "noise.gaussian", "foo": 1}, "unknown key"),
    ({"op": "noise.gaussian", "ranges": {"sigma": [-5, 3]}}, "minimum"),
    ({"op": "noise.gaussian", "ranges": {"blur": 3}}, "unknown parameter"),
])
def test_bad_specs_raise_one_line_errors(bad, match):
    with pytest.raises(InputError, match=match) as info:
        sample_recipe(bad, sample_rng(0, 0))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("steps, match", [
    ([{"op": "noise.gaussian", "params": {"sigma": -1.0, "gray": False, "seed": 1}}], "minimum"),
    ([{"op": "noise.gaussian", "params": {"sigma": 1.0, "gray": False}}], "missing"),
    ([{"op": "noise.gaussian", "params": {"sigma": "x", "gray": False, "seed": 1}}], "must be float"),
    ([{"params": {}}], "must be a mapping with 'op'"),
])
def test_bad_recipes_raise(steps, match):
    with pytest.raises(InputError, match=match):
        degrade.Recipe.from_dict({"version": 1, "steps": steps})


def test_replay_batch_groups_by_op_sequence(photo_crops):
    import torch

    recipes = [sample_recipe({"policy": "some_of", "items": [LEAF_A, LEAF_C], "min": 1}, sample_rng(5, i))
               for i in range(6)]
    x = torch.from_numpy(np.stack(photo_crops[:1] * 6)).permute(0, 3, 1, 2).contiguous()
    y = degrade.replay_batch(x, recipes)
    assert y.shape == x.shape
    again = degrade.replay_batch(x, recipes)
    assert torch.equal(y, again)


@pytest.mark.parametrize("steps", [[LEAF_A, {"op": "blur.gaussian", "severity": 2}], []])
def test_replay_batch_of_one_op_sequence_leaves_its_input(photo_crops, steps):
    import torch

    spec = {"policy": "chain", "items": steps}
    recipes = [sample_recipe(spec, sample_rng(5, i)) for i in range(3)]
    x = torch.from_numpy(np.stack(photo_crops[:1] * 3)).permute(0, 3, 1, 2).contiguous()
    before = x.clone()
    y = degrade.replay_batch(x, recipes)
    assert torch.equal(x, before) and y.data_ptr() != x.data_ptr()
    for i in range(3):  # a sample's bytes do not depend on the rest of the batch
        assert torch.equal(y[i : i + 1], degrade.replay_batch(x[i : i + 1], recipes[i : i + 1]))
