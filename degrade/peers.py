"""Peer synthesizers: other libraries' degradations behind one call, seeded per sample.

``synthesize(name, img, params, seed)`` degrades one HxWx3 float32 RGB image in [0,1] with a peer library's
transform and returns HxWx3 float32 in [0,1]. Names are ``<library>.<transform>``:

* ``albumentations.<Transform>``: any albumentations 2.x image transform, built with ``params`` as keyword
  arguments (lists become tuples) and ``p=1``, run in ``A.Compose(..., seed=seed)`` on the uint8 image;
* ``imagecorruptions.<corruption>``: ``imagecorruptions.corrupt(img, severity, corruption_name)`` on the uint8
  image; ``params = {"severity": S}`` with ``S`` an integer 1-5 or a list to draw one from per sample;
* ``kornia.<Augmentation>``: a ``kornia.augmentation`` class built with ``params`` and ``p=1``, run on the
  1x3xHxW float32 tensor.

The peers draw from their libraries' global generators (numpy's for imagecorruptions, torch's for kornia); each
call seeds them from ``seed`` and restores their previous state afterwards, so a sample's output depends on
(name, params, seed, image) alone. A peer whose library is not installed raises InputError naming the package.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from restorebench.errors import InputError
from restorebench.imageio import to_uint8

PACKAGES = {"albumentations": "albumentations==2.0.8", "imagecorruptions": "imagecorruptions==1.1.2",
            "kornia": "kornia"}
"""Peer library -> the pip requirement that installs it."""


def _library(library: str) -> Any:
    if library not in PACKAGES:
        raise InputError(f"peer library {library!r}: expected one of {sorted(PACKAGES)}")
    try:
        return importlib.import_module(library)
    except ImportError as exc:
        raise InputError(f"{library} is not installed (pip install {PACKAGES[library]!r})") from exc


def split_name(name: str) -> tuple[str, str]:
    """``"albumentations.GaussNoise"`` -> ("albumentations", "GaussNoise"); a malformed name raises InputError."""
    library, _, transform = name.partition(".")
    if not library or not transform:
        raise InputError(f"peer {name!r}: expected <library>.<transform>, e.g. albumentations.GaussNoise")
    return library, transform


def unavailable(name: str) -> str | None:
    """Why the peer ``name`` cannot run here (its library is missing or has no such transform), else None."""
    library, transform = split_name(name)
    try:
        _resolve(library, transform)
    except InputError as exc:
        return str(exc)
    return None


def _from_255(out: Any) -> np.ndarray:
    """A peer's 0-255 output (uint8 or float) as float32 in [0,1], rounded to 8 bits as the peer stores it."""
    return np.clip(np.rint(np.asarray(out, np.float64)), 0, 255).astype(np.float32) / 255.0


def _kwargs(params: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


@contextmanager
def _numpy_global_seeded(seed: int) -> Iterator[None]:
    state = np.random.get_state()
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)


def _albumentations(transform: str) -> Callable[[np.ndarray, dict, int], np.ndarray]:
    A = _library("albumentations")
    cls = getattr(A, transform, None)
    if cls is None:
        raise InputError(f"albumentations has no transform {transform!r}")

    def run(img: np.ndarray, params: dict, seed: int) -> np.ndarray:
        pipeline = A.Compose([cls(**_kwargs(params), p=1.0)], seed=seed)
        return _from_255(pipeline(image=to_uint8(img))["image"])

    return run


def _imagecorruptions(transform: str) -> Callable[[np.ndarray, dict, int], np.ndarray]:
    ic = _library("imagecorruptions")
    if transform not in ic.get_corruption_names("all"):
        raise InputError(f"imagecorruptions has no corruption {transform!r}")

    def run(img: np.ndarray, params: dict, seed: int) -> np.ndarray:
        severity = params.get("severity", 1)
        if isinstance(severity, list):
            severity = int(np.random.default_rng(seed).choice(severity))
        with _numpy_global_seeded(seed):
            return _from_255(ic.corrupt(to_uint8(img), severity=int(severity), corruption_name=transform))

    return run


def _kornia(transform: str) -> Callable[[np.ndarray, dict, int], np.ndarray]:
    _library("kornia")
    import kornia.augmentation as K
    import torch

    from restorebench.seeding import torch_seeded

    cls = getattr(K, transform, None)
    if cls is None:
        raise InputError(f"kornia.augmentation has no class {transform!r}")

    def run(img: np.ndarray, params: dict, seed: int) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]
        with torch_seeded(seed):
            y = cls(**_kwargs(params), p=1.0)(x)
        return np.clip(y[0].permute(1, 2, 0).numpy(), 0.0, 1.0)

    return run


RESOLVERS = {"albumentations": _albumentations, "imagecorruptions": _imagecorruptions, "kornia": _kornia}


@functools.cache
def _resolve(library: str, transform: str) -> Callable[[np.ndarray, dict, int], np.ndarray]:
    if library not in RESOLVERS:
        raise InputError(f"peer library {library!r}: expected one of {sorted(RESOLVERS)}")
    return RESOLVERS[library](transform)


def synthesize(name: str, img: np.ndarray, params: dict, seed: int) -> np.ndarray:
    """Degrade ``img`` (HxWx3 float32 in [0,1]) with the peer ``name``; HxWx3 float32 in [0,1] out."""
    return np.ascontiguousarray(_resolve(*split_name(name))(img, params, seed), np.float32)
