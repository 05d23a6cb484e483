"""Visual instructions: same recipe on a ground, seeds re-drawn, deterministic, faithful to the operators."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

import degrade
from degrade.grounds import bank, make_ground
from degrade.instructions import Instruction, make_instruction, reseed
from degrade.recipe import Recipe, Step
from restorebench.errors import InputError
from restorebench.seeding import draw_seed, sample_rng


def noise(sigma: float, seed: int = 123, gray: bool = False) -> dict:
    return {"op": "noise.gaussian", "params": {"sigma": sigma, "gray": gray, "seed": seed}}


def blur(sigma: float) -> dict:
    return {"op": "blur.gaussian", "params": {"sigma_x": sigma, "sigma_y": sigma, "angle_deg": 0.0}}


def recipe(*steps: dict) -> dict:
    return {"version": 1, "steps": list(steps)}


def high_freq_energy(img: np.ndarray, cutoff: float = 0.15) -> float:
    """Spectral energy of the mean channel above ``cutoff`` cycles/pixel (Hann-windowed)."""
    g = img.mean(axis=2).astype(np.float64)
    n = g.shape[0]
    win = np.hanning(n)[:, None] * np.hanning(n)[None, :]
    p = np.abs(np.fft.fft2((g - g.mean()) * win)) ** 2
    f = np.hypot(np.fft.fftfreq(n)[:, None], np.fft.fftfreq(n)[None, :])
    return float(p[f > cutoff].sum())


def test_instruction_fields():
    ins = make_instruction(recipe(noise(15.0)), 5, "te42", 128)
    assert isinstance(ins, Instruction)
    for a in (ins.degraded, ins.clean, ins.residual):
        assert a.shape == (128, 128, 3) and a.dtype == np.float32
    assert ins.degraded.min() >= 0 and ins.degraded.max() <= 1
    assert ins.residual.min() >= -1 and ins.residual.max() <= 1
    np.testing.assert_array_equal(ins.residual, ins.degraded - ins.clean)
    np.testing.assert_array_equal(ins.clean, make_ground("te42", 128, 5))
    assert ins.ground == "te42" and ins.seed == 5


def test_blur_severity_lowers_high_frequency_energy_monotonically():
    sigmas = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0]
    energies = [high_freq_energy(make_ground("te42", 256, 0))]
    energies += [high_freq_energy(make_instruction(recipe(blur(s)), 0, "te42", 256).degraded) for s in sigmas]
    assert all(a > b for a, b in itertools.pairwise(energies)), energies
    assert energies[-1] < 0.01 * energies[0]


@pytest.mark.parametrize("sigma", [5.0, 15.0, 25.0, 50.0])
def test_noise_residual_std_matches_sigma_on_blank_ground(sigma):
    ins = make_instruction(recipe(noise(sigma)), 11, "blank", 256)
    assert ins.residual.std() * 255 == pytest.approx(sigma, rel=0.05)
    assert abs(ins.residual.mean()) * 255 < 0.05 * sigma


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noise_residual_std_matches_sigma_on_te42_where_nothing_clips(seed):
    sigma = 15.0
    ins = make_instruction(recipe(noise(sigma)), seed, "te42", 256)
    margin = 4.5 * sigma / 255  # clipping at 0 or 1 is then a 4.5-sigma event
    unclipped = (ins.clean > margin) & (ins.clean < 1 - margin)
    assert unclipped.mean() > 0.3  # tens of thousands of samples: the std estimate is good to ~1%
    assert ins.residual[unclipped].std() * 255 == pytest.approx(sigma, rel=0.05)


def test_seeds_are_redrawn_and_other_params_kept():
    r = Recipe.from_dict(recipe(blur(1.5), noise(20.0, seed=99), noise(5.0, seed=98, gray=True)))
    ins = make_instruction(r, 42, "te42", 64)
    assert ins.recipe.ops == r.ops
    assert ins.recipe.steps[0].params == r.steps[0].params  # no seed: unchanged
    for i in (1, 2):
        want = dict(r.steps[i].params, seed=draw_seed(sample_rng(42, i)))
        assert ins.recipe.steps[i].params == want
    assert reseed(r, 42) == ins.recipe
    # the instruction's noise field is a fresh draw, not the image's field
    same_field = degrade.replay(ins.clean, r)
    assert not np.array_equal(same_field, ins.degraded)


def test_same_recipe_and_seed_give_the_same_bytes():
    r = recipe(blur(1.0), noise(25.0))
    a = make_instruction(r, 3)
    bank.clear()
    b = make_instruction(r, 3)
    for x, y in ((a.degraded, b.degraded), (a.clean, b.clean), (a.residual, b.residual)):
        assert x.tobytes() == y.tobytes()
    c = make_instruction(r, 4)
    assert c.degraded.tobytes() != a.degraded.tobytes()


def test_recipes_round_trip_through_json_into_identical_instructions():
    r = Recipe.from_dict(recipe(noise(10.0, seed=5), blur(2.0), noise(30.0, seed=6)))
    back = Recipe.from_json(r.to_json())
    a, b = make_instruction(r, 8, "te42", 96), make_instruction(json.loads(r.to_json()), 8, "te42", 96)
    assert make_instruction(back, 8, "te42", 96).degraded.tobytes() == a.degraded.tobytes() == b.degraded.tobytes()
    # the applied recipe replays to the same instruction from its JSON alone
    applied = Recipe.from_json(a.recipe.to_json())
    assert degrade.replay(a.clean, applied).tobytes() == a.degraded.tobytes()


def test_mixtures_keep_their_order():
    steps = (blur(2.0), noise(25.0, seed=1))
    fwd = make_instruction(recipe(*steps), 9, "te42", 128)
    rev = make_instruction(recipe(*steps[::-1]), 9, "te42", 128)
    assert fwd.recipe.ops == ("blur.gaussian", "noise.gaussian")
    assert rev.recipe.ops == ("noise.gaussian", "blur.gaussian")
    # blur then noise keeps white noise at full strength; noise then blur smooths it away
    hf_fwd, hf_rev = high_freq_energy(fwd.degraded, 0.3), high_freq_energy(rev.degraded, 0.3)
    assert hf_fwd > 10 * hf_rev
    # step by step by hand, in order, equals the instruction
    manual = fwd.clean
    for step in fwd.recipe.steps:
        manual = degrade.get(step.op).apply(manual, step.params)
    assert manual.tobytes() == fwd.degraded.tobytes()


def test_array_ground_is_used_as_given():
    g = np.full((48, 80, 3), 0.4, np.float32)
    ins = make_instruction(recipe(noise(10.0)), 1, g, size=999)
    assert ins.clean.shape == (48, 80, 3) and ins.ground == "array"
    np.testing.assert_array_equal(ins.clean, g)


def test_ground_seed_is_independent_of_the_field_seed():
    a = make_instruction(recipe(noise(10.0)), 1, "te42", 64, ground_seed=7)
    np.testing.assert_array_equal(a.clean, make_ground("te42", 64, 7))
    b = make_instruction(recipe(noise(10.0)), 1, "te42", 64)
    np.testing.assert_array_equal(a.residual[a.clean == b.clean], b.residual[a.clean == b.clean])


def test_size_changing_steps_are_brought_back_to_the_ground_size():
    if "resize.down" not in degrade.list_ops():
        pytest.skip("resize.down is not registered")
    op = degrade.get("resize.down")
    params = op.sample(np.random.default_rng(0), 3)
    ins = make_instruction({"steps": [{"op": "resize.down", "params": params}]}, 0, "te42", 96)
    assert ins.degraded.shape == ins.clean.shape
    assert high_freq_energy(ins.degraded) < 0.2 * high_freq_energy(ins.clean)


def test_every_registered_operator_makes_an_instruction_at_mid_severity():
    for k, name in enumerate(degrade.list_ops()):
        op = degrade.get(name)
        if 3 not in op.severities:
            continue
        # 128 px: sparse operators (a few rain drops per 100x100 px) need room to show
        ins = make_instruction(Recipe((Step(name, op.sample(sample_rng(0, k), 3)),)), 0, "te42", 128)
        assert np.abs(ins.residual).mean() > 1e-3, name  # the degradation shows on the ground


@pytest.mark.parametrize("args, match", [
    (("not a recipe", 0), "recipe"),
    (({"steps": [{"op": "noise.nope", "params": {}}]}, 0), "unknown operator"),
    ((recipe(noise(5.0)), -3), "seed"),
    ((recipe(noise(5.0)), 0, 3.5), "ground"),
    ((recipe(noise(5.0)), 0, np.zeros((32, 32), np.float32)), "grayscale"),
    ((recipe(noise(5.0)), 0, "checkerboard"), "unknown ground"),
])
def test_bad_input_raises_one_line_input_error(args, match):
    with pytest.raises(InputError, match=match) as err:
        make_instruction(*args)
    assert "\n" not in str(err.value)


def test_batch_path_matches_the_numpy_path_in_distribution():
    import torch

    from degrade.instructions import make_instructions_batch

    seeds = [3, 4, 5]
    batch = make_instructions_batch([recipe(blur(2.0))] * 3, seeds, "te42", 64)
    for i, s in enumerate(seeds):
        cpu = make_instruction(recipe(blur(2.0)), s, "te42", 64)
        got = batch.degraded[i].permute(1, 2, 0).numpy()
        assert np.abs(got - cpu.degraded).max() < 1e-4  # deterministic blur: same values
    noisy = make_instructions_batch([recipe(noise(25.0))] * 2, [1, 2], "blank", 128)
    assert torch.equal(noisy.residual, noisy.degraded - noisy.clean)
    assert float(noisy.residual.std()) * 255 == pytest.approx(25.0, rel=0.05)
    assert [r.steps[0].params["seed"] for r in noisy.recipes] == [draw_seed(sample_rng(s, 0)) for s in (1, 2)]
    with pytest.raises(InputError, match="one seed"):
        make_instructions_batch([recipe(blur(1.0))], [1, 2])
