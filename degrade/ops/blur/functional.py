"""Blur, pure numpy: PSFs from params and their application to HxWx3 float32 RGB in [0,1].

Every blur is one convolution with a kernel from ``degrade.kernels`` (reflect-101 borders, see
``degrade.filtering``); the batch path convolves with the very same kernels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from degrade.filtering import convolve
from degrade.kernels import check_kernel, trajectory_kernels
from restorebench.engine import map_chunks
from restorebench.errors import InputError
from restorebench.seeding import field_rng


def motion_psfs(lengths: list[float], seeds: list[int], threads: int = 1) -> list[np.ndarray]:
    """Camera-shake PSFs: Boracchi-Foi random trajectories of extent ``lengths[i]`` pixels drawn from ``seeds[i]``.

    The samples are split into ``threads`` contiguous chunks drawn on as many threads (numpy's draws and
    the compiled recurrence release the GIL); each PSF depends on its own seed only, so it is the same
    whether drawn alone, in a batch or on any number of threads.
    """
    def draw(idx: list[int]) -> list[np.ndarray]:
        return trajectory_kernels([field_rng(seeds[i]) for i in idx], [lengths[i] for i in idx])

    return [k for part in map_chunks(draw, list(range(len(seeds))), threads) for k in part]


def user_psf(kernel: list | None, path: str | None) -> np.ndarray:
    """A user kernel from a nested list or a ``.npy`` file, validated by ``degrade.kernels.check_kernel``."""
    if (kernel is None) == (path is None):
        raise InputError("blur.kernel: give exactly one of 'kernel' (nested list) or 'path' (.npy file)")
    if path is not None:
        p = Path(path)
        if p.suffix != ".npy" or not p.is_file():
            raise InputError(f"blur.kernel: path {path!r} is not an existing .npy file")
        try:
            kernel = np.load(p, allow_pickle=False)
        except ValueError as e:
            raise InputError(f"blur.kernel: cannot read {path!r} as a numpy array ({e})") from None
        return check_kernel(kernel, f"blur.kernel {path}")
    return check_kernel(kernel, "blur.kernel 'kernel'")


def blur(img: np.ndarray, psf: np.ndarray) -> np.ndarray:
    """Convolve an HxWx3 float32 image with ``psf`` (odd sides, sums to 1), reflect-101 borders; clamped to [0,1]."""
    return convolve(img, psf, clip=True)
