"""The batch paths on CUDA against the numpy paths (skipped without a GPU)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import degrade
from restorebench.seeding import sample_rng
from tests.ops_a.conftest import (
    OPERATORS,
    STOCHASTIC,
    assert_same_statistics,
    from_batch,
    params_for,
    to_batch,
)

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]


@pytest.mark.parametrize("name", [n for n in OPERATORS if n != "jpeg.compress"])
def test_cuda_batch_matches_numpy(name, crop):
    op = degrade.get(name)
    params = [params_for(name, sample_rng(5, i)) for i in range(3)]
    if name == "resize.down":
        params = [{**p, "factor": params[0]["factor"]} for p in params]
    y = op.apply_batch(to_batch(crop, crop, crop).cuda(), params)
    assert y.is_cuda
    for i, p in enumerate(params):
        if name in STOCHASTIC:
            assert_same_statistics(name, crop, p, "cuda")
        else:
            assert np.abs(op.apply(crop, p) - from_batch(y, i)).max() <= 1e-4


def test_cuda_jpeg_equals_libjpeg_bit_for_bit():
    from skimage import data

    img = np.ascontiguousarray(data.astronaut()[:200, 100:331].astype(np.float32) / 255.0)
    op = degrade.get("jpeg.compress")
    params = [{"quality": 30, "subsampling": "444"}, {"quality": 90, "subsampling": "444"},
              {"quality": 30, "subsampling": "420"}, {"quality": 7, "subsampling": "422"}]
    y = op.apply_batch(to_batch(img, img, img, img).cuda(), params)
    for i, p in enumerate(params):
        assert np.array_equal(op.apply(img, p), from_batch(y, i)), p
