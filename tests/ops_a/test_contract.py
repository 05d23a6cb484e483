"""Properties every registered operator must have (parametrized over the registry)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import degrade
from restorebench.errors import InputError
from restorebench.seeding import sample_rng
from tests.ops_a.conftest import (
    FIXED_PARAMS,
    OPERATORS,
    SEEDED,
    STOCHASTIC,
    USER_KERNEL,
    assert_same_statistics,
    from_batch,
    params_for,
    to_batch,
)


def test_every_family_is_under_contract():
    families = {"noise", "blur", "jpeg", "lowlight", "resize", "haze", "rain", "snow"}
    assert {n.split(".")[0] for n in OPERATORS} >= families


@pytest.mark.parametrize("name", OPERATORS)
def test_same_params_same_bytes_and_json_replay(name, crop):
    op = degrade.get(name)
    params = params_for(name, sample_rng(7, 0))
    a = op.apply(crop, params)
    replayed = json.loads(json.dumps(params))
    b = op.apply(crop, replayed)
    assert a.dtype == np.float32 and a.tobytes() == b.tobytes()
    assert 0.0 <= a.min() and a.max() <= 1.0
    recipe = degrade.Recipe.from_json(degrade.Recipe((degrade.Step(name, params),)).to_json())
    assert degrade.replay(crop, recipe).tobytes() == a.tobytes()
    assert not np.array_equal(a, crop), "the operator left the image unchanged"


@pytest.mark.parametrize("name", sorted(SEEDED))
def test_different_seeds_give_different_fields(name, crop):
    op = degrade.get(name)
    params = params_for(name, sample_rng(7, 0))
    a = op.apply(crop, params)
    b = op.apply(crop, {**params, "seed": params["seed"] + 1})
    assert not np.array_equal(a, b)


SAMPLE_SCRIPT = """
import hashlib, sys, numpy as np
from skimage import data
import degrade
from restorebench.seeding import sample_rng
img = np.ascontiguousarray(data.astronaut()[100:196, 150:278].astype(np.float32) / 255.0)
for name in sys.argv[1:]:
    out, _ = degrade.get(name)(img, sample_rng(11, 3), severity=2)
    print(name, hashlib.sha256(out.tobytes()).hexdigest())
"""


def test_sample_index_identical_across_processes(crop):
    names = [n for n in OPERATORS if n not in FIXED_PARAMS]
    run = subprocess.run([sys.executable, "-c", SAMPLE_SCRIPT, *names], capture_output=True, text=True, check=True)
    theirs = dict(line.split() for line in run.stdout.splitlines())
    for name in names:
        ours, _ = degrade.get(name)(crop, sample_rng(11, 3), severity=2)
        assert hashlib.sha256(ours.tobytes()).hexdigest() == theirs[name], name


@pytest.mark.parametrize("name", OPERATORS)
def test_cpu_and_batch_paths_agree(name, crop):
    op = degrade.get(name)
    params = [params_for(name, sample_rng(5, i)) for i in range(2)]
    if name == "resize.down":  # one output size per batch
        params[1] = {**params[1], "factor": params[0]["factor"]}
    x = to_batch(crop, crop[::-1].copy())
    y = op.apply_batch(x, params)
    assert y.dtype == x.dtype and y.shape[:2] == x.shape[:2]
    for i, img in enumerate((crop, crop[::-1].copy())):
        cpu, bat = op.apply(img, params[i]), from_batch(y, i)
        assert cpu.shape == bat.shape
        if op.numpy_on_cpu:
            np.testing.assert_array_equal(bat, cpu)
        if name in STOCHASTIC:  # different generators (PCG64 vs torch's): the residual statistics must match
            assert_same_statistics(name, img, params[i])
        else:
            assert np.abs(cpu - bat).max() <= 1e-4


@pytest.mark.parametrize("name", OPERATORS)
def test_batch_path_keeps_a_float64_batch_float64(name, crop):
    op = degrade.get(name)
    params = [params_for(name, sample_rng(6, 0))]
    x = to_batch(crop)
    y32, y64 = op.apply_batch(x, params), op.apply_batch(x.double(), params)
    assert y64.dtype == torch.float64 and y64.shape == y32.shape
    if name not in STOCHASTIC:
        assert (y64.float() - y32).abs().max() <= 1e-4


@pytest.mark.parametrize("name", ["blur.gaussian", "blur.motion", "resize.down", "noise.gaussian", "noise.speckle",
                                  "rain.streaks", "snow.layers"])
def test_a_cpu_batch_that_requires_grad_keeps_the_differentiable_torch_form(name, crop):
    op = degrade.get(name)
    params = [params_for(name, sample_rng(7, 0))]
    x = to_batch(crop).requires_grad_()
    y = op.apply_batch(x, params)
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert (y.detach() - op.apply_batch(x.detach(), params)).abs().max() < 1e-4 or name in STOCHASTIC


def test_lowlight_noise_free_paths_agree_exactly(crop):
    op = degrade.get("lowlight.darken")
    params = {"factor": 0.2, "gamma": 1.3, "photons": None, "read_noise": 0.0, "bayer": False, "seed": 1}
    assert np.abs(op.apply(crop, params) - from_batch(op.apply_batch(to_batch(crop), [params]))).max() <= 1e-4


def _bad_images():
    good = np.full((32, 32, 3), 0.5, np.float32)
    nan, inf = good.copy(), good.copy()
    nan[3, 3, 1] = np.nan
    inf[5, 5, 0] = np.inf
    return {
        "gray": good[:, :, 0],
        "gray1": good[:, :, :1],
        "rgba": np.concatenate([good, np.ones((32, 32, 1), np.float32)], axis=2),
        "uint16": (good * 65535).astype(np.uint16),
        "1x1": good[:1, :1],
        "7x7": good[:7, :7],
        "nan": nan,
        "inf": inf,
    }


@pytest.mark.parametrize("bad", sorted(_bad_images()))
@pytest.mark.parametrize("name", OPERATORS)
def test_bad_images_raise_input_error(name, bad):
    op = degrade.get(name)
    with pytest.raises(InputError):
        op.apply(_bad_images()[bad], params_for(name, sample_rng(0, 0)))


@pytest.mark.parametrize("name", OPERATORS)
def test_bad_batches_raise_input_error(name):
    op = degrade.get(name)
    p = params_for(name, sample_rng(0, 0))
    for x in (torch.rand(2, 1, 32, 32), torch.rand(2, 3, 7, 7), (torch.rand(2, 3, 32, 32) * 255).to(torch.uint8)):
        with pytest.raises(InputError):
            op.apply_batch(x, [p, p])
    with pytest.raises(InputError):
        op.apply_batch(torch.rand(2, 3, 32, 32), [p])


@pytest.mark.parametrize("name", [n for n in OPERATORS if n not in FIXED_PARAMS])
def test_severity_table_is_complete_and_bounded(name):
    op = degrade.get(name)
    assert sorted(op.severities) == [1, 2, 3, 4, 5]
    for bad in (0, 6):
        with pytest.raises(InputError):
            op.sample(sample_rng(0, 0), severity=bad)


@pytest.mark.parametrize("name", OPERATORS)
def test_negative_and_unknown_parameters_raise(name, crop):
    op = degrade.get(name)
    params = params_for(name, sample_rng(0, 0))
    if name == "blur.kernel":
        negative = {"kernel": [[0.0, -0.1, 0.0], [0.1, 0.8, 0.1], [0.0, 0.1, 0.0]]}
    else:
        key = next(k for k, v in params.items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in ("angle_deg", "seed"))
        negative = {**params, key: -1}
    with pytest.raises(InputError):
        op.apply(crop, negative)
    with pytest.raises(InputError):
        op.apply(crop, {**params, "bogus": 1})


def test_unknown_operator_name():
    with pytest.raises(InputError, match="noise.gaussian"):
        degrade.get("noise.gausian")


def test_user_kernel_fixture_is_valid():
    assert abs(sum(map(sum, USER_KERNEL["kernel"])) - 1.0) < 1e-9


@pytest.mark.parametrize("name,variants", [
    ("noise.gaussian", [{"sigma": 25.0, "gray": True, "seed": 1}, {"sigma": 8.0, "gray": False, "seed": 2}]),
    ("noise.speckle", [{"sigma": 0.2, "seed": 1}, {"sigma": 0.05, "seed": 2}]),
    ("noise.salt_pepper", [{"amount": 0.05, "salt_ratio": 0.5, "seed": 1}, {"amount": 0.2, "salt_ratio": 0.9, "seed": 2}]),
    ("noise.camera", [{"photons": 50.0, "read_noise": 3.0, "bayer": True, "seed": 1},
                      {"photons": 80.0, "read_noise": 1.0, "bayer": False, "seed": 2}]),
    ("noise.isp", [{"photons": 300.0, "read_noise": 3.0, "wb_red": 2.0, "wb_blue": 1.6, "ccm": 1.0,
                    "chroma_nr": 0.5, "nr_sigma": 0.8, "seed": 1},
                   {"photons": 900.0, "read_noise": 1.0, "wb_red": 1.0, "wb_blue": 1.0, "ccm": 0.0,
                    "chroma_nr": 0.0, "nr_sigma": 0.0, "seed": 2}]),
    ("lowlight.darken", [{"factor": 0.1, "gamma": 1.2, "photons": 500.0, "read_noise": 2.0, "bayer": True, "seed": 3},
                         {"factor": 0.3, "gamma": 1.0, "photons": None, "read_noise": 0.0, "bayer": False, "seed": 4},
                         {"factor": 0.2, "gamma": 1.1, "photons": 900.0, "read_noise": 4.0, "bayer": False, "seed": 5}]),
])
def test_mixed_batches_equal_samples_run_alone(name, variants, crop):
    # per-sample generators: a sample's bytes do not depend on what else is in its batch
    op = degrade.get(name)
    together = op.apply_batch(to_batch(*[crop] * len(variants)), variants)
    for i, p in enumerate(variants):
        assert torch.equal(together[i], op.apply_batch(to_batch(crop), [p])[0])
