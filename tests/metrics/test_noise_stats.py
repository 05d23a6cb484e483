"""Noise statistics of paired images: white, channel-shared and smoothed noise give the values they should, and
the command prints the real pairs' and a synthesizer's medians."""

from __future__ import annotations

import numpy as np
import pytest

from benchmark.noise_stats import LEVELS, main, noise_stats, summarize
from restorebench.imageio import write_image


@pytest.fixture
def clean() -> np.ndarray:
    ramp = np.linspace(0.2, 0.8, 256, dtype=np.float32)
    return np.repeat(np.repeat(ramp[:, None, None], 256, 1), 3, 2)


def test_white_noise_has_its_std_and_no_correlation(clean):
    n = np.random.default_rng(0).normal(0, 4 / 255, clean.shape).astype(np.float32)
    s = noise_stats(clean + n, clean)
    assert s["std"] == pytest.approx(4.0, rel=0.02)
    assert abs(s["neighbour"]) < 0.02 and abs(s["cross"]) < 0.02
    assert len(s["by_level"]) == LEVELS and np.isnan(s["by_level"][0]) and np.isnan(s["by_level"][-1])
    assert all(v == pytest.approx(4.0, rel=0.1) for v in s["by_level"][1:-1])


def test_shared_and_smoothed_noise_are_correlated(clean):
    rng = np.random.default_rng(1)
    shared = np.repeat(rng.normal(0, 0.01, clean.shape[:2] + (1,)), 3, 2).astype(np.float32)
    assert noise_stats(clean + shared, clean)["cross"] == pytest.approx(1.0, abs=1e-6)
    white = rng.normal(0, 0.01, clean.shape)
    smooth = ((white + np.roll(white, 1, 1)) / 2).astype(np.float32)
    assert noise_stats(clean + smooth, clean)["neighbour"] == pytest.approx(0.5, abs=0.03)


def test_summary_takes_medians():
    rows = [{"std": v, "neighbour": v, "cross": v, "by_level": [v, float("nan"), v if v > 1 else float("nan")]}
            for v in (1.0, 2.0, 9.0)]
    s = summarize(rows)
    assert s["std"] == s["cross"] == 2.0 and s["by_level"][0] == 2.0 and s["by_level"][2] == 5.5
    assert np.isnan(s["by_level"][1])


def test_the_command_prints_real_and_synthesized_noise(tmp_path, astronaut, capsys):
    rng = np.random.default_rng(2)
    for name in ("a", "b"):
        img = astronaut[:64, :64]
        write_image(tmp_path / "target" / f"{name}.png", img)
        write_image(tmp_path / "input" / f"{name}.png", np.clip(img + rng.normal(0, 0.02, img.shape), 0, 1))
    spec = tmp_path / "spec.yaml"
    spec.write_text("{op: noise.gaussian, params: {sigma: 10.0}}\n")
    main([str(tmp_path), "--spec", str(spec)])
    lines = capsys.readouterr().out.splitlines()
    medians = [float(line.split()[1]) for line in lines if line.startswith("median")]
    assert len(medians) == 2 and medians[0] == pytest.approx(5.1, abs=0.4) and medians[1] == pytest.approx(10.0, abs=0.6)
