"""Noise-level estimation: both estimators recover the sigma of synthetic Gaussian noise."""

from __future__ import annotations

import numpy as np
import pytest
from core_helpers import degraded

from models.estimate import estimate_sigma
from restorebench.errors import InputError


@pytest.mark.parametrize("method, sigma, tol", [("pca", 10.0, 2.5), ("pca", 25.0, 2.5), ("pca", 40.0, 2.5),
                                               ("immerkaer", 25.0, 3.0)])
def test_estimators_recover_sigma(clean_crops, method, sigma, tol):
    # contrast halved around mid-gray so clipping at 0 and 1 does not shrink the noise actually added
    est = [estimate_sigma(degraded(0.25 + 0.5 * c, "noise.gaussian", i, sigma=sigma, gray=False), method)
           for i, c in enumerate(clean_crops)]
    assert abs(float(np.median(est)) - sigma) < tol, est


def test_estimate_rejects_bad_input():
    with pytest.raises(InputError, match="method"):
        estimate_sigma(np.zeros((32, 32, 3), np.float32), "wavelet")
    with pytest.raises(InputError, match="NaN"):
        estimate_sigma(np.full((32, 32, 3), np.nan, np.float32))
