"""Properties shared by the weather operators: determinism, severity order, bad params, recipe replay."""

from __future__ import annotations

import itertools
import json

import cv2
import numpy as np
import pytest

import degrade
from degrade.recipe import Recipe, Step, replay
from restorebench.errors import InputError
from restorebench.seeding import sample_rng

OPS = ["haze.atmospheric", "rain.streaks", "rain.drops", "snow.layers"]
# parameters outside the severity rows that are held fixed so that only severity changes
FIXED = {"haze.atmospheric": {"airlight": 0.85, "tint": 0.0}, "rain.streaks": {"angle_deg": -10.0, "airlight": 0.8},
         "rain.drops": {"zoom": 3.0}, "snow.layers": {"angle_deg": 10.0, "airlight": 0.95}}


@pytest.mark.parametrize("name", OPS)
def test_same_params_same_bytes_and_seeds_differ(name, photo):
    op = degrade.get(name)
    params = op.sample(sample_rng(5, 0), severity=3)
    a, b = op.apply(photo, params), op.apply(photo, dict(params))
    assert a.dtype == np.float32 and a.shape == photo.shape
    assert a.tobytes() == b.tobytes()
    other = op.apply(photo, {**params, "seed": params["seed"] + 1})
    assert np.abs(other - a).max() > 0.05


@pytest.mark.parametrize("name", OPS)
def test_higher_severity_lowers_psnr(name, photo):
    op = degrade.get(name)
    img = cv2.resize(photo, (320, 320)) if name == "rain.drops" else photo  # drops are sparse: a larger view
    scores = []
    for s in range(1, 6):
        mse = np.mean([np.mean((op.apply(img, op.sample(sample_rng(9, j), severity=s, **FIXED[name])) - img) ** 2)
                       for j in range(3)])
        scores.append(float(-10 * np.log10(mse)))
    assert all(a > b for a, b in itertools.pairwise(scores)), scores
    assert scores[-1] < 25.0, scores


@pytest.mark.parametrize("name, params", [
    ("rain.streaks", {"density": 0.0, "brightness": 0.7, "accumulation": 0.0}),
    ("rain.streaks", {"density": 0.01, "brightness": 0.0, "accumulation": 0.0}),
    ("snow.layers", {"density": 0.0, "veil": 0.0}),
    ("snow.layers", {"opacity": 0.0, "veil": 0.0}),
    ("rain.drops", {"density": 0.0}),
    ("haze.atmospheric", {"beta": 0.0}),
    ("haze.atmospheric", {"beta": 0.0, "space": "linear"}),
])
def test_zero_strength_is_identity(name, params, photo):
    op = degrade.get(name)
    p = op.sample(sample_rng(2, 0), severity=3, **params)
    assert op.apply(photo, p).tobytes() == photo.tobytes()


@pytest.mark.parametrize("name, bad, match", [
    ("rain.streaks", {"density": -0.01}, "density"),
    ("rain.streaks", {"angle_deg": 95.0}, "angle_deg"),
    ("rain.streaks", {"layers": 0}, "layers"),
    ("rain.streaks", {"width": 0.0}, "width"),
    ("snow.layers", {"density": -1.0}, "density"),
    ("snow.layers", {"angle_deg": -120.0}, "angle_deg"),
    ("snow.layers", {"layers": 2.5}, "layers"),
    ("rain.drops", {"radius": 0.0}, "radius"),
    ("rain.drops", {"blur": float("nan")}, "blur"),
    ("haze.atmospheric", {"beta": -1.0}, "beta"),
    ("haze.atmospheric", {"space": "lab"}, "space"),
    ("haze.atmospheric", {"airlight": 1.5}, "airlight"),
    ("haze.atmospheric", {"fog": 1.0}, "unknown"),
])
def test_bad_params_raise_input_error(name, bad, match, photo):
    op = degrade.get(name)
    params = {**op.sample(sample_rng(0, 0), severity=2), **bad}
    with pytest.raises(InputError, match=match):
        op.apply(photo, params)


def test_missing_seed_is_reported(photo):
    op = degrade.get("snow.layers")
    params = op.sample(sample_rng(0, 0), severity=2)
    del params["seed"]
    with pytest.raises(InputError, match="seed"):
        op.apply(photo, params)


def test_json_round_trip_replays_identically(photo):
    rng = sample_rng(11, 3)
    steps = tuple(Step(n, degrade.get(n).sample(rng, severity=2)) for n in OPS)
    recipe = Recipe(steps)
    text = recipe.to_json()
    again = Recipe.from_json(json.loads(json.dumps(text)))
    assert again.to_json() == text
    assert replay(photo, again).tobytes() == replay(photo, recipe).tobytes()
