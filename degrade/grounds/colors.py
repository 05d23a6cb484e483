"""Colour chart elements: a 24-patch ColorChecker-style chart, gray steps and ramps, primaries and secondaries.

* ``checker24``: the 24 patches of the ColorChecker Classic in reading order (4 rows x 6 columns), each
  filled with its 8-bit sRGB value from :data:`COLORCHECKER24_SRGB8` (BabelColor average spectral data
  under D65, as published by BabelColor / X-Rite), on a :data:`SURROUND` frame. Cells are size/6 wide
  and size/4 tall; each patch is the cell minus a frame of :data:`PATCH_GAP` of the cell on every side.
* ``gray_steps``: top half 11 neutral steps of sRGB code value 0, 0.1, ..., 1 (left to right); bottom
  half a continuous neutral ramp from 0 to 1.
* ``ramps``: six horizontal bands, ramps from black to full red, green, blue, cyan, magenta, yellow.
* ``primaries``: 2 x 3 solid patches, saturated red, green, blue (top) and cyan, magenta, yellow (bottom).

These elements are deterministic (``rng`` is not used). Values are exact code values, so degradations
that clip (noise on the saturated patches) show their clipping here, as they would on a real chart.
"""

from __future__ import annotations

import numpy as np

from degrade.grounds.registry import element

COLORCHECKER24_SRGB8: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("dark skin", (115, 82, 68)), ("light skin", (194, 150, 130)), ("blue sky", (98, 122, 157)),
    ("foliage", (87, 108, 67)), ("blue flower", (133, 128, 177)), ("bluish green", (103, 189, 170)),
    ("orange", (214, 126, 44)), ("purplish blue", (80, 91, 166)), ("moderate red", (193, 90, 99)),
    ("purple", (94, 60, 108)), ("yellow green", (157, 188, 64)), ("orange yellow", (224, 163, 46)),
    ("blue", (56, 61, 150)), ("green", (70, 148, 73)), ("red", (175, 54, 60)),
    ("yellow", (231, 199, 31)), ("magenta", (187, 86, 149)), ("cyan", (8, 133, 161)),
    ("white 9.5", (243, 243, 242)), ("neutral 8", (200, 200, 200)), ("neutral 6.5", (160, 160, 160)),
    ("neutral 5", (122, 122, 121)), ("neutral 3.5", (85, 85, 85)), ("black 2", (52, 52, 52)),
)
"""ColorChecker Classic patches in reading order: (name, 8-bit sRGB)."""
CHECKER_ROWS, CHECKER_COLS = 4, 6
SURROUND = (0.08, 0.08, 0.08)
"""sRGB colour of the chart frame between patches (the printed chart's black surround)."""
PATCH_GAP = 0.1
"""Frame width on each side of a patch, as a fraction of the cell's width/height."""
GRAY_STEPS = 11
PRIMARIES = ((1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 0))
"""Saturated red, green, blue, cyan, magenta, yellow (sRGB)."""


def grid_cells(size: int, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column index of every pixel for an even ``rows`` x ``cols`` split of a size x size square."""
    idx = np.arange(size)
    return (idx * rows // size)[:, None], (idx * cols // size)[None, :]


def checker24_patch_boxes(size: int) -> list[tuple[int, int, int, int]]:
    """(top, bottom, left, right) pixel bounds of each of the 24 patches in reading order (exclusive ends)."""
    boxes = []
    for i in range(CHECKER_ROWS * CHECKER_COLS):
        r, c = divmod(i, CHECKER_COLS)
        top, bottom = r * size / CHECKER_ROWS, (r + 1) * size / CHECKER_ROWS
        left, right = c * size / CHECKER_COLS, (c + 1) * size / CHECKER_COLS
        gy, gx = PATCH_GAP * (bottom - top), PATCH_GAP * (right - left)
        boxes.append((round(top + gy), round(bottom - gy), round(left + gx), round(right - gx)))
    return boxes


@element("colors.checker24", uses_rng=False)
def checker24(size: int, rng: np.random.Generator) -> np.ndarray:
    """The 24-patch ColorChecker-style chart (see module docstring for the layout)."""
    out = np.empty((size, size, 3), np.float32)
    out[:] = SURROUND
    for (top, bottom, left, right), (_, rgb) in zip(checker24_patch_boxes(size), COLORCHECKER24_SRGB8):
        out[top:bottom, left:right] = np.asarray(rgb, np.float32) / 255.0
    return out


@element("colors.gray_steps", uses_rng=False)
def gray_steps(size: int, rng: np.random.Generator) -> np.ndarray:
    """Eleven neutral steps (top half) over a continuous neutral ramp (bottom half), sRGB 0 to 1."""
    _, col = grid_cells(size, 1, GRAY_STEPS)
    steps = np.broadcast_to(col / (GRAY_STEPS - 1), (size, size))
    ramp = np.broadcast_to(np.linspace(0.0, 1.0, size)[None, :], (size, size))
    top = np.arange(size)[:, None] < size // 2
    return np.repeat(np.where(top, steps, ramp)[:, :, None], 3, axis=2).astype(np.float32)


@element("colors.ramps", uses_rng=False)
def ramps(size: int, rng: np.random.Generator) -> np.ndarray:
    """Six horizontal bands ramping from black (left) to saturated R, G, B, C, M, Y (right)."""
    row, _ = grid_cells(size, len(PRIMARIES), 1)
    targets = np.asarray(PRIMARIES, np.float32)[row[:, 0]]
    ramp = np.linspace(0.0, 1.0, size, dtype=np.float32)
    return (targets[:, None, :] * ramp[None, :, None]).astype(np.float32)


@element("colors.primaries", uses_rng=False)
def primaries(size: int, rng: np.random.Generator) -> np.ndarray:
    """Solid saturated primaries (top row: R, G, B) and secondaries (bottom row: C, M, Y), 2 x 3 patches."""
    row, col = grid_cells(size, 2, 3)
    return np.asarray(PRIMARIES, np.float32)[row * 3 + col]
