"""albumentations adapters: every operator runs as an ImageOnlyTransform, Compose(seed=...) reproduces."""

from __future__ import annotations

import numpy as np
import pytest

A = pytest.importorskip("albumentations", reason="albumentations extra not installed")

import degrade  # noqa: E402
from degrade.albu import DegradeTransform, transforms  # noqa: E402


def test_every_operator_is_available_as_a_transform():
    names = {t.op for t in transforms()}
    assert names == {n for n in degrade.list_ops() if degrade.get(n).severities}


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_compose_seed_reproduces_and_differs(photo_crops, dtype):
    img = photo_crops[0] if dtype == np.float32 else (photo_crops[0] * 255).astype(np.uint8)
    ops = transforms()
    run = lambda seed: A.Compose(ops, seed=seed)(image=img)["image"]  # noqa: E731
    a, b, c = run(1), run(1), run(2)
    assert a.dtype == dtype and a.shape == img.shape
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_applied_params_replay_the_output(photo_crops):
    pipe = A.Compose([DegradeTransform("noise.gaussian", severity=4)], seed=5, save_applied_params=True)
    res = pipe(image=photo_crops[1])
    applied = res["applied_transforms"][0][1]["op_params"]
    assert applied["sigma"] == 35.0
    replayed = degrade.replay(photo_crops[1], {"steps": [{"op": "noise.gaussian", "params": applied}]})
    assert np.array_equal(replayed, res["image"])


def test_serialization_round_trip(photo_crops):
    pipe = A.Compose([DegradeTransform("noise.gaussian", ranges={"sigma": [10, 20]})], seed=3)
    again = A.from_dict(A.to_dict(pipe))
    again.set_random_seed(3)
    assert np.array_equal(pipe(image=photo_crops[2])["image"], again(image=photo_crops[2])["image"])


def test_bad_severity_is_rejected():
    with pytest.raises(ValueError, match="severity"):
        DegradeTransform("noise.gaussian", severity=9)
