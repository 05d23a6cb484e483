"""Helpers for the corpus tests: a cheap config, bundled photos, bad source files, folder snapshots."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from degrade.corpus.sources import FileSource

CONFIG = {
    "seed": 11,
    "tasks": [
        {"name": "light", "weight": 1, "spec": {"op": "noise.gaussian", "ranges": {"sigma": [5, 15]}}},
        {"name": "heavy", "weight": 2, "spec": {"op": "noise.gaussian", "ranges": {"sigma": [15, 50], "gray": {"choice": [True, False]}}}},
        {"name": "double", "weight": 1, "spec": {"policy": "chain", "items": [
            {"op": "noise.gaussian", "severity": 1}, {"op": "noise.gaussian", "severity": 2}]}},
    ],
    "patches": {"mode": "random", "size": 48, "per_image": 3},
}


def photos() -> list[np.ndarray]:
    """Four bundled scikit-image photos, downscaled by 4 (uint8 RGB, about 100-160 px a side)."""
    from skimage import data

    return [np.ascontiguousarray(img[::4, ::4]) for img in (data.astronaut(), data.coffee(), data.chelsea(), data.rocket())]


def save_rgb(path: Path, arr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return path


def write_bad_sources(folder: Path) -> dict[str, str]:
    """Bad files in ``folder``; returns name -> a word the skip reason must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    good = photos()[0]
    (folder / "bad_unreadable.png").write_bytes(b"this is not an image")
    buf = cv2.imencode(".png", good)[1]
    (folder / "bad_truncated.png").write_bytes(buf.tobytes()[: len(buf) // 2])
    save_rgb(folder / "bad_tiny.png", good[:1, :1])
    Image.fromarray(good).convert("CMYK").save(folder / "bad_cmyk.jpg")
    cv2.imwrite(str(folder / "bad_16bit.png"), good.astype(np.uint16) * 257)
    Image.fromarray(np.dstack([good, np.full(good.shape[:2], 200, np.uint8)])).save(folder / "bad_alpha.png")
    save_rgb(folder / "bad_huge.png", np.tile(good, (4, 4, 1)))  # 512x512 > the tests' max_pixels
    return {"bad_unreadable.png": "unreadable", "bad_truncated.png": "truncated", "bad_tiny.png": "1x1",
            "bad_cmyk.jpg": "cmyk", "bad_16bit.png": "rgb16", "bad_alpha.png": "rgba8", "bad_huge.png": "pixel limit"}


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative POSIX path -> bytes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@dataclass
class DyingSource(FileSource):
    """A folder source whose worker process dies (as if killed for memory) when it reads source ``die_at``."""

    die_at: int = 0

    def read(self, k: int) -> np.ndarray:
        if k == self.die_at:
            os._exit(3)
        return super().read(k)


@dataclass
class DyingOnceSource(FileSource):
    """A folder source whose worker dies when it first reads source ``die_at`` (``marker`` records that it did)."""

    die_at: int = 0
    marker: str = ""

    def read(self, k: int) -> np.ndarray:
        if k == self.die_at and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(3)
        return super().read(k)


@dataclass
class InterruptingSource(FileSource):
    """A folder source that interrupts the run (as Ctrl-C would) when it reads source ``stop_at``."""

    stop_at: int = 0

    def read(self, k: int) -> np.ndarray:
        if k == self.stop_at:
            raise KeyboardInterrupt
        return super().read(k)


def square_dying_once(marker: str, item: int) -> int:
    """``item ** 2``; the worker process exits (status 3) the first time it meets item 2 (``marker`` records it)."""
    if item == 2 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(3)
    return item * item
