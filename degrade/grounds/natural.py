"""Natural-texture chart elements: random crops of photographed textures.

Bundled (no files needed): scikit-image's 512x512 grayscale texture photos ``brick``, ``grass`` and
``gravel``. Their gray levels are mapped into the chart tones and tinted with the documented sRGB
multipliers in :data:`BUNDLED_TINTS` so that the natural quadrant carries colour. A user folder of
(colour) images becomes one more element with :func:`register_texture_folder`.

Each crop is a square of side uniform in [size, 2 size] pixels (capped by the source's short side) at a
uniform position, resized to ``size`` with area averaging (cubic interpolation when enlarging).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import cv2
import numpy as np

from degrade.grounds.primitives import CHART_BLACK, CHART_WHITE
from degrade.grounds.registry import element, unregister
from restorebench.errors import InputError
from restorebench.imageio import IMAGE_SUFFIXES, list_images, read_image

BUNDLED_TINTS = {
    "brick": (1.0, 0.72, 0.58),
    "grass": (0.72, 1.0, 0.52),
    "gravel": (1.0, 0.96, 0.88),
}
"""sRGB multipliers applied to the gray texture (mapped to the chart tones) of each bundled photo."""


@functools.cache
def bundled_texture(name: str) -> np.ndarray:
    """A bundled texture (``brick``, ``grass``, ``gravel``) as 512x512x3 float32 RGB in [0,1], tinted."""
    from skimage import data

    if name not in BUNDLED_TINTS:
        raise InputError(f"unknown bundled texture {name!r}; use one of {sorted(BUNDLED_TINTS)}")
    gray = getattr(data, name)().astype(np.float32) / 255.0
    gray = CHART_BLACK + (CHART_WHITE - CHART_BLACK) * gray
    out = gray[:, :, None] * np.asarray(BUNDLED_TINTS[name], np.float32)
    out.flags.writeable = False
    return out


def random_crop(img: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A square crop of side uniform in [size, 2 size] (capped by the short side) resized to size x size x 3."""
    h, w = img.shape[:2]
    side = int(min(h, w, rng.integers(size, 2 * size + 1)))
    top = int(rng.integers(0, h - side + 1))
    left = int(rng.integers(0, w - side + 1))
    crop = np.ascontiguousarray(img[top:top + side, left:left + side])
    if side == size:
        return crop.astype(np.float32, copy=True)
    interp = cv2.INTER_AREA if side > size else cv2.INTER_CUBIC
    out = cv2.resize(crop, (size, size), interpolation=interp)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _bundled_element(name: str) -> None:
    def crop(size: int, rng: np.random.Generator) -> np.ndarray:
        return random_crop(bundled_texture(name), size, rng)

    crop.__doc__ = f"Random crop of scikit-image's {name} texture, tinted {BUNDLED_TINTS[name]}."
    element(f"natural.{name}")(crop)


for _name in BUNDLED_TINTS:
    _bundled_element(_name)


def register_texture_folder(folder: str | os.PathLike, name: str = "user") -> str:
    """Register the images under ``folder`` as element ``natural.<name>``; returns the element name.

    Each draw picks one image (uniformly, from the sorted file list) and crops it as the bundled
    textures are cropped. Files are read when drawn (8-bit RGB or convertible: gray, 16-bit, opaque
    RGBA). Registering the same name again replaces the folder. The composed ``te42`` ground draws
    its natural element among all registered ``natural.*`` elements, so registration changes it.
    """
    folder = Path(folder)
    files = tuple(list_images(folder))
    if not files:
        raise InputError(f"{folder}: no images found (looked for {', '.join(IMAGE_SUFFIXES)}); add texture images")
    full = f"natural.{name}"
    if name in BUNDLED_TINTS:
        raise InputError(f"texture folder name {name!r} collides with a bundled texture; choose another")

    def crop(size: int, rng: np.random.Generator) -> np.ndarray:
        return random_crop(read_image(files[int(rng.integers(len(files)))], convert=True), size, rng)

    crop.__doc__ = f"Random crop of one of the {len(files)} images under {folder}."
    unregister(full)
    element(full)(crop)
    return full
