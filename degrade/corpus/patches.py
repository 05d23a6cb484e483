"""Sample numbering and crop boxes.

Numbering is fixed before any pixel is read, so it never depends on workers, shards or which sources fail:
source ``k`` (in source order) owns the contiguous sample indices ``offsets[k] .. offsets[k+1]-1``.

* ``random`` and ``whole`` modes: every source owns ``per_image`` (or 1) indices; no file is opened.
* ``grid`` mode: the count depends on the image size, so a deterministic header pre-scan (no pixel decode)
  counts each source's grid; a source whose header cannot be read or that is smaller than one patch owns
  no index and is reported in skipped.csv.

A source that fails later (a truncated file, a CMYK image) keeps its indices; they are simply absent from
the manifest, so every other sample keeps its id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from degrade.corpus.config import PatchConfig, SourceConfig
from degrade.corpus.sources import Source
from restorebench.errors import InputError

Box = tuple[int, int, int, int]
"""A crop box: (x, y, width, height) in pixels, x/y of the top-left corner."""


def grid_starts(length: int, size: int, stride: int) -> list[int]:
    """Top-left offsets of ``size``-pixel windows every ``stride`` pixels over ``length``, the last flush with the end."""
    if length < size:
        return []
    starts = list(range(0, length - size + 1, stride))
    if starts[-1] != length - size:
        starts.append(length - size)
    return starts


def check_source_size(width: int, height: int, patches: PatchConfig, sources: SourceConfig, what: str) -> None:
    """Raise InputError if a ``width`` x ``height`` source is too large, too small, or smaller than a patch."""
    if width * height > sources.max_pixels:
        raise InputError(f"{what}: {width}x{height} is over the {sources.max_pixels:,}-pixel limit (sources.max_pixels)")
    if min(width, height) < sources.min_side:
        raise InputError(f"{what}: {width}x{height} is smaller than sources.min_side={sources.min_side}")
    if patches.mode != "whole" and min(width, height) < patches.size:
        raise InputError(f"{what}: {width}x{height} is smaller than one {patches.size}x{patches.size} patch")


def patch_count(width: int, height: int, patches: PatchConfig) -> int:
    """How many samples a ``width`` x ``height`` source gives (grid: the grid size; else per_image or 1)."""
    if patches.mode == "grid":
        stride = patches.stride or patches.size
        return len(grid_starts(width, patches.size, stride)) * len(grid_starts(height, patches.size, stride))
    return patches.per_image if patches.mode == "random" else 1


def crop_box(width: int, height: int, patches: PatchConfig, patch_index: int, rng: np.random.Generator) -> Box:
    """The box of patch ``patch_index`` of a source; ``random`` mode draws it from ``rng`` (the sample's crop stream)."""
    size = patches.size
    if patches.mode == "whole":
        return 0, 0, width, height
    if patches.mode == "random":
        y = int(rng.integers(0, height - size + 1))
        x = int(rng.integers(0, width - size + 1))
        return x, y, size, size
    stride = patches.stride or size
    xs = grid_starts(width, size, stride)
    ys = grid_starts(height, size, stride)
    row, col = divmod(patch_index, len(xs))
    return xs[col], ys[row], size, size


@dataclass(frozen=True)
class Plan:
    """Sample numbering: source ``k`` owns indices ``offsets[k]:offsets[k+1]``; ``prescan_skips`` maps k -> reason."""

    offsets: tuple[int, ...]
    prescan_skips: dict[int, str]

    @property
    def n_samples(self) -> int:
        return self.offsets[-1]

    def count(self, k: int) -> int:
        """Number of samples of source ``k``."""
        return self.offsets[k + 1] - self.offsets[k]

    def source_of(self, index: int) -> int:
        """The source that owns sample ``index``."""
        return int(np.searchsorted(self.offsets, index, side="right")) - 1


def make_plan(source: Source, patches: PatchConfig, sources: SourceConfig) -> Plan:
    """Number the samples of ``source`` (header pre-scan in grid mode only)."""
    n = len(source.names)
    if patches.mode != "grid":
        per = patch_count(0, 0, patches)
        return Plan(tuple(range(0, per * n + 1, per)), {})
    counts, skips = [], {}
    for k in range(n):
        try:
            width, height = source.size(k)
            check_source_size(width, height, patches, sources, source.names[k])
            counts.append(patch_count(width, height, patches))
        except InputError as exc:
            skips[k] = str(exc)
            counts.append(0)
    return Plan(tuple(int(v) for v in np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])), skips)
