"""Contact sheets of visual instructions: one row per operator (or step), columns clean / degraded / residual.

The residual column shows ``0.5 + gain * residual`` (mid-gray = no change) with a per-row gain, a power
of two from 1 to 16 chosen so that the 99th percentile of ``|residual|`` fills at most half the
range; the gain is printed under the operator's name, then its parameters (as many lines as fit the row).
"""

from __future__ import annotations

import textwrap

import cv2
import numpy as np

import degrade
from degrade.instructions import Instruction, apply_to_ground, make_instruction
from degrade.recipe import Recipe, Step
from restorebench.imageio import to_uint8
from restorebench.seeding import sample_rng

LABEL_WIDTH = 250
"""Width of the label column in pixels."""
HEADER = 24
GAP = 4
FONT = cv2.FONT_HERSHEY_SIMPLEX
FONT_SCALE = 0.42
LINE = 16
MAX_GAIN = 16
WRAP = 30
"""Characters per label line."""


def residual_gain(residual: np.ndarray) -> int:
    """Display gain for a residual: the largest power of two <= 16 keeping the 99th percentile |r| <= 0.5."""
    level = float(np.percentile(np.abs(residual), 99))
    gain = 1
    while gain < MAX_GAIN and 2 * gain * level <= 0.5:
        gain *= 2
    return gain


def describe_step(step: Step) -> list[str]:
    """Label lines for a step: the operator name, then ``key=value`` pairs (seed omitted), wrapped."""
    pairs = [f"{k}={_short(v)}" for k, v in step.params.items() if k != "seed" and v is not None]
    return [step.op, *textwrap.wrap(" ".join(pairs), WRAP)]


def _short(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, (list, tuple)):
        return f"[{len(v)} values]"
    return str(v)


def _text(canvas: np.ndarray, lines: list[str], x: int, y: int) -> None:
    for i, s in enumerate(lines):
        cv2.putText(canvas, s, (x, y + i * LINE), FONT, FONT_SCALE, (20, 20, 20), 1, cv2.LINE_AA)


def contact_sheet(rows: list[tuple[list[str], Instruction]]) -> np.ndarray:
    """Render rows of (label lines, instruction) as an HxWx3 uint8 sheet; all instructions share one size."""
    if not rows:
        raise ValueError("contact_sheet needs at least one row")
    h, w = rows[0][1].clean.shape[:2]
    width = LABEL_WIDTH + 3 * (w + GAP)
    canvas = np.full((HEADER + len(rows) * (h + GAP), width, 3), 255, np.uint8)
    for c, title in enumerate(("clean ground", "degraded (instruction)", "residual")):
        _text(canvas, [title], LABEL_WIDTH + c * (w + GAP) + 4, HEADER - 8)
    for i, (label, ins) in enumerate(rows):
        top = HEADER + i * (h + GAP)
        gain = residual_gain(ins.residual)
        lines = [label[0], f"residual x{gain}", *label[1:]]
        _text(canvas, lines[:max(2, h // LINE)], 6, top + LINE)  # what fits beside the row
        tiles = (ins.clean, ins.degraded, 0.5 + gain * ins.residual)
        for c, tile in enumerate(tiles):
            left = LABEL_WIDTH + c * (w + GAP)
            canvas[top:top + h, left:left + w] = to_uint8(tile)
    return canvas


def operator_rows(ops: list[str], severity: int, seed: int, ground: str | np.ndarray = "te42",
                  size: int = 256) -> list[tuple[list[str], Instruction]]:
    """One row per operator in ``ops`` (those with a severity table): params sampled at ``severity``.

    Operator ``k``'s params come from ``op.sample(sample_rng(seed, k), severity)``; its instruction
    uses ``seed`` and the same ground for every row.
    """
    rows = []
    for k, name in enumerate(ops):
        op = degrade.get(name)
        if severity not in op.severities:
            continue
        params = op.sample(sample_rng(seed, k), severity)
        ins = make_instruction(Recipe((Step(name, params),)), seed, ground, size)
        rows.append((describe_step(ins.recipe.steps[0]) + [f"severity {severity}"], ins))
    return rows


def recipe_rows(recipe: Recipe, seed: int, ground: str | np.ndarray = "te42",
                size: int = 256) -> list[tuple[list[str], Instruction]]:
    """One row per step of ``recipe`` (that step alone), then a row for the whole chain when it has several."""
    full = make_instruction(recipe, seed, ground, size)
    rows = []
    for i, step in enumerate(full.recipe.steps):
        ins = apply_to_ground(Recipe((step,)), full.clean, full.ground, seed)
        label = describe_step(step)
        rows.append(([f"step {i + 1}: {label[0]}", *label[1:]], ins))
    if len(recipe.steps) > 1:
        rows.append((["whole recipe:", *textwrap.wrap(" -> ".join(full.recipe.ops), WRAP)], full))
    return rows
