"""Composed, ablation and named grounds: layout, determinism, registration of user textures, errors."""

from __future__ import annotations

import numpy as np
import pytest

from degrade.grounds import (
    GROUPS,
    bank,
    compose,
    get_element,
    list_elements,
    list_grounds,
    make_ground,
    register_texture_folder,
    te42_elements,
)
from degrade.grounds.registry import unregister
from restorebench.errors import InputError
from restorebench.imageio import write_image


def test_te42_quadrants_are_one_element_per_group():
    size, seed = 256, 7
    ground = make_ground("te42", size, seed)
    chosen = te42_elements(seed)
    assert list(chosen) == list(GROUPS)
    q = size // 2
    for g, group in enumerate(GROUPS):
        assert chosen[group] in list_elements(group)
        top, left = (g // 2) * q, (g % 2) * q
        # a named element is drawn from the same stream as its quadrant: same pixels at the quadrant's size
        np.testing.assert_array_equal(ground[top:top + q, left:left + q], make_ground(chosen[group], q, seed))


def test_grounds_are_deterministic_functions_of_name_size_seed():
    a = make_ground("te42", 96, 3)
    bank.clear()
    b = make_ground("te42", 96, 3)
    assert a.tobytes() == b.tobytes()
    assert make_ground("te42", 96, 4).tobytes() != a.tobytes()
    a[:] = 0  # callers get their own copy
    assert make_ground("te42", 96, 3).tobytes() == b.tobytes()


def test_te42_draws_every_group_member_over_seeds():
    seen = {group: set() for group in GROUPS}
    for seed in range(60):
        for group, name in te42_elements(seed).items():
            seen[group].add(name)
    for group in GROUPS:
        assert seen[group] == set(list_elements(group))


def test_elements_have_a_finite_set_of_variants_drawn_once():
    drawings = {make_ground("random.dead_leaves", 32, s).tobytes() for s in range(400)}
    assert 20 < len(drawings) <= compose.VARIANTS  # 400 seeds land on (nearly) all 32 variants, no more
    assert len({make_ground("colors.checker24", 32, s).tobytes() for s in range(20)}) == 1
    a = make_ground("regular.rings", 48, 3)
    a[:] = 0  # a caller's edit must not reach the stored drawing
    assert make_ground("regular.rings", 48, 3).max() > 0


def test_bank_keeps_at_most_its_byte_budget(monkeypatch):
    bank.clear()
    monkeypatch.setattr(bank, "BANK_BYTES", 3 * 32 * 32 * 3 * 4)
    for v in range(5):
        compose.element_drawing("random.fractal", 32, v)
    assert bank.stored_bytes() == 3 * 32 * 32 * 3 * 4
    compose.element_drawing("random.fractal", 32, 4)  # most recent: kept, nothing re-rendered
    assert bank.stored_bytes() <= bank.BANK_BYTES
    bank.clear()
    assert bank.stored_bytes() == 0


def test_odd_size_te42_crops_the_canvas():
    ground = make_ground("te42", 65, 2)
    assert ground.shape == (65, 65, 3)
    np.testing.assert_array_equal(ground[:33, :33], make_ground(te42_elements(2)["regular"], 33, 2))


def test_ablation_grounds():
    blank = make_ground("blank", 64, 9)
    assert np.all(blank == 0.5)
    simple = make_ground("simple", 256, 9)
    assert np.array_equal(simple, make_ground("simple", 256, 0))  # seed-free
    assert np.all(simple == simple[:1])  # vertical stripes: every row identical
    spectrum = np.abs(np.fft.rfft(simple[0, :, 0] - simple[0, :, 0].mean()))
    assert int(np.argmax(spectrum)) == compose.SIMPLE_STRIPE_PERIODS
    assert {"te42", "blank", "simple"} <= set(list_grounds())


def test_user_texture_folder_becomes_a_natural_element(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(2):
        write_image(tmp_path / f"t{i}.png", rng.uniform(0.2, 0.8, (150, 170, 3)).astype(np.float32))
    name = register_texture_folder(tmp_path, "testfolder")
    try:
        assert name == "natural.testfolder" and name in list_elements("natural")
        crop = make_ground(name, 64, 1)
        assert crop.shape == (64, 64, 3) and 0.2 <= crop.min() and crop.max() <= 0.8
        variant = compose.te42_choices(1)["natural"][1]
        assert np.array_equal(crop, get_element(name)(64, compose.variant_rng("natural", variant)))
    finally:
        unregister(name)
    assert name not in list_elements()


def test_texture_folder_errors(tmp_path):
    with pytest.raises(InputError, match="no images"):
        register_texture_folder(tmp_path, "empty")
    write_image(tmp_path / "a.png", np.zeros((40, 40, 3), np.float32))
    with pytest.raises(InputError, match="collides"):
        register_texture_folder(tmp_path, "brick")


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "te43"}, "unknown ground 'te43'"),
    ({"size": 16}, "at least 32"),
    ({"size": 64.0}, "integer"),
    ({"seed": -1}, "seed"),
    ({"seed": 2 ** 32}, "seed"),
])
def test_bad_ground_arguments_raise_one_line_errors(kwargs, match):
    with pytest.raises(InputError, match=match) as err:
        make_ground(**kwargs)
    assert "\n" not in str(err.value)


def test_unknown_element_lists_the_known_ones():
    with pytest.raises(InputError, match="regular.zone_plate"):
        get_element("regular.zone")
