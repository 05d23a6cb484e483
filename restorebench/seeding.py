"""Per-sample random streams. No global RNG is ever used.

Sample ``i`` of a job with seed ``s`` draws from ``np.random.Generator(PCG64(SeedSequence([s, i])))``,
so the bytes of sample ``i`` do not depend on how many workers, shards or machines produce the job.
Seeds stored in parameter dicts are integers in ``[0, 2**32)`` (JSON-safe everywhere).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from restorebench.errors import InputError

SEED_BOUND = 2**32


def sample_rng(seed: int, index: int, *extra: int) -> np.random.Generator:
    """The generator of sample ``index`` of a job seeded with ``seed`` (``extra`` adds sub-streams)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(seed), int(index), *map(int, extra)])))


def draw_seed(rng: np.random.Generator) -> int:
    """A fresh integer seed in ``[0, 2**32)`` drawn from ``rng`` (stored in params for replay)."""
    return int(rng.integers(0, SEED_BOUND))


def field_rng(seed: int) -> np.random.Generator:
    """The generator an operator uses to draw its stochastic field from the ``seed`` in its params."""
    return np.random.Generator(np.random.PCG64(int(seed)))


def check_seed(seed: Any, what: str = "seed") -> None:
    """Raise a one-line InputError (``"<what> <seed>: ..."``) unless ``seed`` is an integer in [0, 2**32)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < SEED_BOUND:
        raise InputError(f"{what} {seed!r}: expected an integer in [0, 2**32)")


@contextmanager
def torch_seeded(seed: int) -> Iterator[None]:
    """Run the block with torch's default generator seeded from ``seed`` and restore its state afterwards.

    For code that draws from torch's default generator and cannot be given one, above all the parameter
    initializers inside ``nn.Module`` constructors: the same seed builds the same weights, and no state leaks
    out (CPU generator only; CUDA generators are left untouched).
    """
    import torch

    check_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(int(seed))
        yield
