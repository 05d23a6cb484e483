"""Statistics of the noise in paired images, to match a noise synthesizer to real camera noise.

For each pair the noise is ``noisy - clean`` (HxWx3 float32 in [0,1]); :func:`noise_stats` gives

* ``std``: its standard deviation, 0-255 scale;
* ``neighbour``: correlation of horizontally adjacent values, mean over the channels (0 for white noise;
  demosaicking and in-camera noise reduction raise it);
* ``cross``: correlation between colour channels, mean over the three pairs (1: the same noise in every
  channel; chroma noise reduction raises it);
* ``by_level``: its standard deviation (0-255) in :data:`LEVELS` bands of the clean image's luminance, NaN
  where a band holds fewer than :data:`MIN_PIXELS` pixels (how the noise depends on brightness).

``python -m benchmark.noise_stats PAIRED_DIR [--spec FILE]`` prints them for the pairs ``PAIRED_DIR/input`` and
``PAIRED_DIR/target`` and, with ``--spec`` (a degradation spec, or a realism config whose restorebench
synthesizer is used), for that synthesizer applied to each target (sample ``i`` drawn with
``sample_rng(seed, i)``, stored as 8 bits like the real inputs).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import yaml

from benchmark.harness import pair_folders
from degrade.recipe import replay
from degrade.spec import sample_recipe, validate_spec
from restorebench.errors import InputError
from restorebench.imageio import as_stored, read_image
from restorebench.seeding import sample_rng

LEVELS = 8
"""Luminance bands of ``by_level`` (equal widths over [0, 1])."""
MIN_PIXELS = 500
"""Fewest pixels a band needs for its standard deviation."""
SCALE = 255.0


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    return float((a @ b) / max(np.sqrt((a @ a) * (b @ b)), 1e-20))


def noise_stats(noisy: np.ndarray, clean: np.ndarray) -> dict:
    """Statistics (see the module docstring) of ``noisy - clean``, both HxWx3 float32 in [0,1]."""
    if noisy.shape != clean.shape:
        raise InputError(f"noisy {noisy.shape} and clean {clean.shape} differ in size")
    n = noisy.astype(np.float64) - clean.astype(np.float64)
    band = np.minimum((clean.mean(-1) * LEVELS).astype(np.int64), LEVELS - 1)
    by_level = [float(n[band == k].std() * SCALE) if (band == k).sum() >= MIN_PIXELS else float("nan")
                for k in range(LEVELS)]
    return {"std": float(n.std() * SCALE),
            "neighbour": float(np.mean([_corr(n[:, :-1, c], n[:, 1:, c]) for c in range(3)])),
            "cross": float(np.mean([_corr(n[..., a], n[..., b]) for a, b in ((0, 1), (1, 2), (0, 2))])),
            "by_level": by_level}


def summarize(stats: list[dict]) -> dict:
    """Medians over images of each statistic (``by_level``: per band, ignoring NaN)."""
    return {"std": float(np.median([s["std"] for s in stats])),
            "neighbour": float(np.median([s["neighbour"] for s in stats])),
            "cross": float(np.median([s["cross"] for s in stats])),
            "by_level": [float(np.median(v[~np.isnan(v)])) if (~np.isnan(v)).any() else float("nan")
                         for v in np.array([s["by_level"] for s in stats]).T]}


def load_spec(path: str | Path) -> dict:
    """A degradation spec from a YAML/JSON file: the file itself, or a realism config's
    ``synthesizers.restorebench.spec``."""
    data = yaml.safe_load(Path(path).read_text())
    spec = data.get("synthesizers", {}).get("restorebench", {}).get("spec") if isinstance(data, dict) else None
    spec = data if spec is None else spec
    validate_spec(spec, str(path))
    return spec


def synthesized(spec: dict, clean: np.ndarray, seed: int, index: int) -> np.ndarray:
    """``clean`` degraded by a recipe drawn from ``spec`` for sample ``index`` of ``seed``, stored as 8 bits."""
    return as_stored(replay(clean, sample_recipe(spec, sample_rng(seed, index))))


def _row(name: str, s: dict) -> str:
    levels = " ".join(f"{v:5.2f}" for v in s["by_level"])
    return f"{name:<12} {s['std']:6.2f} {s['neighbour']:9.3f} {s['cross']:6.3f}   {levels}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmark.noise_stats", description=__doc__.split("\n\n")[0])
    parser.add_argument("paired", help="folder with input/ (noisy) and target/ (clean) images")
    parser.add_argument("--spec", help="degradation spec or realism config: also show its noise on the targets")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    root = Path(args.paired)
    pairs, problems = pair_folders(root / "input", root / "target")
    for line in problems:
        print(line)
    spec = load_spec(args.spec) if args.spec else None
    real, synth = [], []
    header = f"{'image':<12} {'std':>6} {'neighbour':>9} {'cross':>6}   std by luminance band (1/{LEVELS} each, dark first)"
    print(header)
    for i, (key, noisy_path, clean_path) in enumerate(pairs):
        clean = read_image(clean_path)
        real.append(noise_stats(read_image(noisy_path), clean))
        print(_row(key, real[-1]))
        if spec is not None:
            synth.append(noise_stats(synthesized(spec, clean, args.seed, i), clean))
    print(_row("median", summarize(real)))
    if spec is not None:
        print(f"\n{args.spec} on the targets\n{header}")
        print(_row("median", summarize(synth)))


if __name__ == "__main__":
    main()
