"""degrade.kernels: shape contract, moments against closed forms, orientation, camera-shake trajectories."""

from __future__ import annotations

import math

import numpy as np
import pytest

from degrade.kernels import (
    check_kernel,
    disk_kernel,
    gaussian_kernel,
    line_kernel,
    shake_trajectories,
    shake_trajectory,
    trajectory_kernel,
    trajectory_kernels,
)
from restorebench.errors import InputError

KERNELS = {
    "gauss-iso": lambda: gaussian_kernel(2.0, 2.0),
    "gauss-aniso": lambda: gaussian_kernel(4.0, 0.8, 30.0),
    "gauss-zero": lambda: gaussian_kernel(0.0, 0.0),
    "gauss-line": lambda: gaussian_kernel(3.0, 0.0, 90.0),
    "gauss-size": lambda: gaussian_kernel(1.0, 1.0, size=21),
    "disk-0": lambda: disk_kernel(0.0),
    "disk-small": lambda: disk_kernel(0.3),
    "disk-2.5": lambda: disk_kernel(2.5),
    "disk-9": lambda: disk_kernel(9.0),
    "line-0": lambda: line_kernel(0.0, 0.0),
    "line-h": lambda: line_kernel(9.0, 0.0),
    "line-37": lambda: line_kernel(12.3, 37.0),
    "line-wide": lambda: line_kernel(20.0, -60.0, width=3.0),
    "traj-0": lambda: trajectory_kernel(np.random.default_rng(0), 0.0),
    "traj-5": lambda: trajectory_kernel(np.random.default_rng(1), 5.0),
    "traj-31": lambda: trajectory_kernel(np.random.default_rng(2), 31.0),
    "traj-straight": lambda: trajectory_kernel(np.random.default_rng(3), 15.0, anxiety=0.0),
}


def moments(k: np.ndarray) -> tuple[float, float, float, float, float]:
    """(mean x, mean y, var x, var y, cov xy) of a kernel; x right, y down, origin at the centre pixel."""
    k = k.astype(np.float64)
    ry, rx = k.shape[0] // 2, k.shape[1] // 2
    y, x = np.mgrid[-ry:ry + 1, -rx:rx + 1]
    mx, my = (k * x).sum(), (k * y).sum()
    return mx, my, (k * (x - mx) ** 2).sum(), (k * (y - my) ** 2).sum(), (k * (x - mx) * (y - my)).sum()


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernel_contract(name):
    k = KERNELS[name]()
    assert k.dtype == np.float32 and k.ndim == 2
    assert k.shape[0] % 2 == 1 and k.shape[1] % 2 == 1
    assert k.min() >= 0
    assert abs(float(k.sum(dtype=np.float64)) - 1.0) < 1e-5
    mx, my, *_ = moments(k)
    assert abs(mx) < 1e-3 and abs(my) < 1e-3, "kernel is not centred: blurring would shift the image"


@pytest.mark.parametrize("sx,sy,angle", [(2.0, 2.0, 0.0), (3.0, 1.0, 0.0), (3.0, 1.2, 30.0), (2.5, 0.9, -75.0)])
def test_gaussian_covariance(sx, sy, angle):
    _, _, vx, vy, cxy = moments(gaussian_kernel(sx, sy, angle))
    t = math.radians(angle)
    # axis u = (cos t, -sin t) in (x right, y down) coordinates: counter-clockwise on screen
    u, v = np.array([math.cos(t), -math.sin(t)]), np.array([math.sin(t), math.cos(t)])
    cov = sx**2 * np.outer(u, u) + sy**2 * np.outer(v, v)
    assert vx == pytest.approx(cov[0, 0], rel=0.02)
    assert vy == pytest.approx(cov[1, 1], rel=0.02)
    assert cxy == pytest.approx(cov[0, 1], abs=0.02 * sx * sx)


@pytest.mark.parametrize("radius", [3.0, 6.0, 10.5])
def test_disk_second_moment_and_support(radius):
    k = disk_kernel(radius)
    _, _, vx, vy, cxy = moments(k)
    # a uniform disk has E[x^2] = E[y^2] = r^2 / 4 (plus 1/12 of a pixel for area sampling)
    assert vx == pytest.approx(radius**2 / 4 + 1 / 12, rel=0.02)
    assert vy == pytest.approx(vx, rel=1e-6) and abs(cxy) < 1e-6
    assert k.shape[0] <= 2 * math.ceil(radius + 0.5) + 1


def test_line_orientation_and_length():
    horizontal = line_kernel(9.0, 0.0)
    assert horizontal.shape == (1, 9) and np.allclose(horizontal, 1 / 9)
    assert line_kernel(9.0, 90.0).shape == (9, 1)
    _, _, vx, vy, cxy = moments(line_kernel(15.0, 45.0))
    assert cxy < 0, "45 degrees counter-clockwise on screen runs up-right: y (down) falls as x grows"
    assert vx + vy == pytest.approx(15.0**2 / 12, rel=0.05)


def test_trajectory_extent_determinism_and_shape():
    for seed in range(6):
        k = trajectory_kernel(np.random.default_rng(seed), 21.0)
        rows, cols = np.flatnonzero(k.any(1)), np.flatnonzero(k.any(0))
        extent = max(rows[-1] - rows[0], cols[-1] - cols[0])
        assert 20 <= extent <= 23
    a = trajectory_kernel(np.random.default_rng(9), 15.0)
    assert np.array_equal(a, trajectory_kernel(np.random.default_rng(9), 15.0))
    assert not np.array_equal(a, trajectory_kernel(np.random.default_rng(10), 15.0))


def test_shake_trajectory_model():
    pos = shake_trajectory(np.random.default_rng(4), 40.0, n_steps=2000)
    steps = np.abs(np.diff(pos))
    assert pos.shape == (2000,) and pos[0] == 0
    assert np.allclose(steps, 40.0 / 1999), "constant speed: the path length is exactly the requested length"
    straight = shake_trajectory(np.random.default_rng(4), 40.0, anxiety=0.0, n_steps=100)
    assert abs(straight[-1] - straight[0]) == pytest.approx(40.0)
    curly = [shake_trajectory(np.random.default_rng(s), 40.0) for s in range(8)]
    assert any(abs(p[-1]) < 35.0 for p in curly), "random shake should not always be a straight line"


@pytest.mark.parametrize("bad,match", [
    ([[0.5, 0.5]], "odd sides"),
    ([1.0], "odd sides"),
    ([[0.0, -0.1, 0.0], [0.1, 0.9, 0.1], [0.0, 0.0, 0.0]], "negative"),
    ([[np.nan]], "NaN"),
    ([[0.2, 0.2, 0.2]], "sums to"),
    ([["a"]], "numbers"),
    ([[1.0], [0.0, 1.0]], "numbers"),
])
def test_check_kernel_rejects(bad, match):
    with pytest.raises(InputError, match=match):
        check_kernel(bad)


def test_negative_sizes_rejected():
    for make in (lambda: gaussian_kernel(-1.0, 1.0), lambda: disk_kernel(-2.0), lambda: line_kernel(-3.0, 0.0),
                 lambda: gaussian_kernel(1.0, 1.0, size=4), lambda: line_kernel(3.0, 0.0, width=0.0)):
        with pytest.raises(InputError):
            make()


def test_vectorized_trajectories_equal_single_draws():
    lengths = [3.0, 15.0, 31.0, 0.0]
    batch = trajectory_kernels([np.random.default_rng(s) for s in range(4)], lengths)
    for s, (k, length) in enumerate(zip(batch, lengths)):
        assert np.array_equal(k, trajectory_kernel(np.random.default_rng(s), length))
    paths = shake_trajectories([np.random.default_rng(s) for s in range(3)], [10.0, 0.0, 5.0])
    assert paths.shape == (3, 2000) and np.abs(paths[1]).max() == 0
    assert np.array_equal(paths[2], shake_trajectory(np.random.default_rng(2), 5.0))  # one compiled loop for both
