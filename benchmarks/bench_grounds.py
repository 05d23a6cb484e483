"""Visual grounds and instructions: grounds/s, instructions/s, and the cost of an instruction vs an image.

Every element has a finite set of variants whose drawings are rendered once per process and reused
(``degrade.grounds.bank``); the tables first render them all (as the first few hundred grounds of a
long run do), then time steady state. Ground section: grounds/s at SIZE x SIZE for the composed
``te42`` ground, the ablation grounds and every element with a new seed every call, and the time of
one first drawing (what the store saves). Instruction section, per recipe at severity 3: img/s of
degrading a SIZE x SIZE photo (the image path), instructions/s of ``make_instruction`` with a new seed
every call (a new ground each time, as a corpus writer calls it), instructions/s on a fixed ground,
and the ratio cost(ground + instruction) / cost(2 images) (target <= 1). CPU numbers are one thread. With ``--device cuda`` a batch section times
``make_instructions_batch`` (grounds on the CPU, degradations on the device) at batch B.

    python benchmarks/bench_grounds.py [--size 256] [--seconds 1] [--device cuda] [--batch 32]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import sys
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(__file__))
from _timing import fmt, rate, single_thread, table

RECIPES = {
    "noise.gaussian": ["noise.gaussian"],
    "blur.gaussian": ["blur.gaussian"],
    "blur.motion": ["blur.motion"],
    "jpeg.compress": ["jpeg.compress"],
    "haze.atmospheric": ["haze.atmospheric"],
    "lowlight.darken": ["lowlight.darken"],
    "blur+noise+jpeg": ["blur.gaussian", "noise.gaussian", "jpeg.compress"],
    "rain+noise+snow": ["rain.streaks", "noise.gaussian", "snow.layers"],
}


def severity3(ops: list[str], seed: int = 0):
    """The recipe of ``ops`` in order, each at severity 3 (params sampled with a fixed stream)."""
    import degrade
    from degrade.recipe import Recipe, Step
    from restorebench.seeding import sample_rng

    return Recipe(tuple(Step(o, degrade.get(o).sample(sample_rng(seed, k), 3)) for k, o in enumerate(ops)))


def with_new_seeds(fn: Callable[[int], object]) -> Callable[[], object]:
    """A no-argument callable that calls ``fn(1)``, ``fn(2)``, ...: a new seed every call, nothing cached."""
    seeds = itertools.count(1)
    return lambda: fn(next(seeds))


def draw_every_variant(size: int) -> None:
    """Render every variant of every element at ``size`` and at the te42 quadrant size into the store."""
    from degrade.grounds import VARIANTS, list_elements
    from degrade.grounds.compose import element_drawing

    for side in {size, (size + 1) // 2}:
        for name in list_elements():
            for v in range(VARIANTS):
                element_drawing(name, side, v)


def first_drawing_ms(name: str, size: int, seconds: float) -> str:
    """Milliseconds to render one new drawing of element ``name`` (bypassing the store)."""
    from degrade.grounds import get_element
    from degrade.grounds.compose import variant_rng

    if "." not in name:
        return ""
    group = name.split(".")[0]
    r = rate(with_new_seeds(lambda v: get_element(name)(size, variant_rng(group, v))), 1, seconds, warmup=3)
    return f"{1000 / r:.2f}"


def ground_rows(size: int, seconds: float) -> list[list[str]]:
    from degrade.grounds import list_grounds, make_ground

    draw_every_variant(size)
    rows = []
    for name in list_grounds():
        r = rate(with_new_seeds(functools.partial(make_ground, name, size)), 1, seconds, warmup=20)
        rows.append([name, fmt(r), f"{1000 / r:.3f}", first_drawing_ms(name, size, seconds / 4)])
    return rows


def instruction_rows(size: int, seconds: float) -> list[list[str]]:
    import numpy as np
    from skimage import data, transform

    import degrade
    from degrade.instructions import make_instruction

    photo = transform.resize(data.astronaut(), (size, size), preserve_range=True).astype(np.float32) / 255.0
    rows = []
    for label, ops in RECIPES.items():
        if not set(ops) <= set(degrade.list_ops()):
            continue
        recipe = severity3(ops)
        img_rate = rate(functools.partial(degrade.replay, photo, recipe), 1, seconds)
        instruct = functools.partial(make_instruction, recipe, ground="te42", size=size)
        fresh = rate(with_new_seeds(instruct), 1, seconds, warmup=20)
        cached = rate(with_new_seeds(functools.partial(instruct, ground_seed=0)), 1, seconds)
        ratio = (1 / fresh) / (2 / img_rate)
        rows.append([label, fmt(img_rate), fmt(fresh), fmt(cached), f"{ratio:.2f}"])
    return rows


def batch_call(recipes: list, size: int, device: str, ground_seeds: list[int] | None, seed: int) -> object:
    """One ``make_instructions_batch`` call whose samples get the seeds ``seed * N + i``."""
    from degrade.instructions import make_instructions_batch

    seeds = [seed * len(recipes) + i for i in range(len(recipes))]
    return make_instructions_batch(recipes, seeds, "te42", size, device, ground_seeds=ground_seeds)


def batch_rows(size: int, batch: int, device: str, seconds: float) -> list[list[str]]:
    import torch

    import degrade

    sync = torch.cuda.synchronize if device.startswith("cuda") else None
    rows = []
    for label, ops in RECIPES.items():
        if not set(ops) <= set(degrade.list_ops()):
            continue
        recipes = [severity3(ops)] * batch
        fresh = rate(with_new_seeds(functools.partial(batch_call, recipes, size, device, None)), batch, seconds,
                     sync=sync)
        cached = rate(with_new_seeds(functools.partial(batch_call, recipes, size, device, [0] * batch)), batch,
                      seconds, sync=sync)
        rows.append([label, fmt(fresh), fmt(cached)])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    single_thread()
    print(f"## Grounds at {args.size}x{args.size} (CPU, one thread, new seed per ground, drawings stored)\n")
    print(table(["ground", "grounds/s", "ms/ground", "ms per first drawing"], ground_rows(args.size, args.seconds)))
    print(f"\n## Instructions at {args.size}x{args.size}, severity 3 (CPU, one thread)\n")
    print(table(["recipe", "image img/s", "instructions/s (new ground)", "instructions/s (fixed ground)",
                 "(ground+instruction) / (2 images)"], instruction_rows(args.size, args.seconds)))
    if args.device != "cpu":
        print(f"\n## Batch instructions on {args.device}, batch {args.batch}, te42 at {args.size}\n")
        print(table(["recipe", "instructions/s (new grounds)", "instructions/s (one ground)"],
                    batch_rows(args.size, args.batch, args.device, args.seconds)))


if __name__ == "__main__":
    main()
