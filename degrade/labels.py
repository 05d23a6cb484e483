"""Detector labels: the degradation each operator makes and how severe it is, read off a recipe.

One vocabulary for training a degradation detector, for its outputs and for the reports that score it:

* :data:`LABELS`: ``clean`` (no operator) and one label per kind of degradation the operators make. A label is
  the operator's family (``noise.poisson`` -> ``noise``) except where a family holds two kinds:
  ``rain.drops`` (drops on the lens) -> ``raindrop``, and ``resize.*`` (low resolution) -> ``sr``, the registry's
  task name for super-resolution.
* :func:`step_severity`: the level (1-5) of the operator's severity table row nearest to a step's parameters,
  so recipes drawn from ranges get a severity too.
* :func:`visible_steps`: the steps of a recipe that changed the image they were applied to (a sparse operator,
  e.g. ``rain.drops`` at a low density on a small patch, can draw nothing).
* :func:`detection_targets`: per-recipe training targets (multi-hot labels, per-label severity, the Gaussian
  noise sigma and the JPEG quality), over the visible steps when the clean image is given.
* :func:`footprint`: the pixels a recipe's steps of one label mark (lens drops), which the detector also
  learns to locate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from degrade.recipe import Recipe
from degrade.registry import get

CLEAN = "clean"
LABELS = (CLEAN, "noise", "blur", "haze", "rain", "snow", "raindrop", "jpeg", "lowlight", "sr")
"""Every detector label, ``clean`` first."""
DEGRADATIONS = LABELS[1:]
"""The labels of a degradation (all but ``clean``)."""
OPERATOR_LABELS = {"rain.drops": "raindrop"}
"""Operators whose label is not their family's."""
FAMILY_LABELS = {"resize": "sr"}
"""Families whose label is not their name."""
LABEL_OPERATORS = {"noise": "noise.gaussian", "blur": "blur.gaussian", "haze": "haze.atmospheric", "rain": "rain.streaks",
                   "snow": "snow.layers", "raindrop": "rain.drops", "jpeg": "jpeg.compress", "lowlight": "lowlight.darken",
                   "sr": "resize.down"}
"""The operator that stands for each degradation label when a recipe is estimated from a detection."""
SIGMA_OP, SIGMA_PARAM = "noise.gaussian", "sigma"
QUALITY_OP, QUALITY_PARAM = "jpeg.compress", "quality"
MAPPED_LABEL = "raindrop"
"""The label the detector also locates pixel by pixel: lens drops are local marks that a summary of the whole
image dilutes (see :func:`footprint`)."""
VISIBLE_CHANGE = 0.5 / 255.0
"""A step is visible when it moves some value of its input by at least this much (half an 8-bit level)."""


def op_label(op: str) -> str:
    """The detector label of operator ``op`` (``rain.drops`` -> ``raindrop``, ``noise.camera`` -> ``noise``)."""
    family = op.split(".")[0]
    return OPERATOR_LABELS.get(op, FAMILY_LABELS.get(family, family))


def recipe_labels(ops: Iterable[str]) -> list[str]:
    """Labels of a recipe's operators in order of first appearance; ``['clean']`` when there is none."""
    return list(dict.fromkeys(op_label(op) for op in ops)) or [CLEAN]


def _steps(recipe: Recipe | dict | str) -> list[tuple[str, dict]]:
    if isinstance(recipe, Recipe):
        return [(s.op, s.params) for s in recipe.steps]
    data = json.loads(recipe) if isinstance(recipe, str) else recipe
    return [(s["op"], s.get("params", {})) for s in data["steps"]]


def footprint(recipe: Recipe | dict | str, h: int, w: int, label: str = MAPPED_LABEL) -> np.ndarray | None:
    """HxW float32 coverage in [0,1] of the pixels the recipe's steps of ``label`` mark on an HxW image (the
    maximum over those steps of each operator's ``footprint``); None when no such step has one."""
    marks = [get(op).footprint(h, w, params) for op, params in _steps(recipe) if op_label(op) == label]
    marks = [m for m in marks if m is not None]
    return np.maximum.reduce(marks).astype(np.float32) if marks else None


def visible_steps(recipe: Recipe | dict | str, clean: np.ndarray,
                  threshold: float = VISIBLE_CHANGE) -> list[tuple[str, dict]]:
    """The (op, params) steps of ``recipe`` that changed the image they were applied to: the recipe is replayed
    on ``clean`` (HxWx3 float32 in [0,1], the image it was recorded on) and a step is kept when some value of its
    output differs from its input by at least ``threshold``."""
    out = np.ascontiguousarray(clean, dtype=np.float32)
    kept = []
    for op, params in _steps(recipe):
        after = get(op).apply(out, params)
        if after.shape != out.shape or float(np.abs(after - out).max()) >= threshold:
            kept.append((op, params))
        out = after
    return kept


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def step_severity(op: str, params: dict) -> int | None:
    """Severity level (1-5) of one applied step: the row of the operator's severity table nearest to ``params``
    (squared distance over the numeric parameters that vary between rows, each scaled by its spread over the
    table); None for an operator without a table."""
    table = get(op).severities
    if not table:
        return None
    rows = [table[level] for level in sorted(table)]
    keys = [k for k in rows[0] if all(_is_number(r.get(k)) for r in rows) and _is_number(params.get(k))
            and len({r[k] for r in rows}) > 1]
    spans = {k: max(r[k] for r in rows) - min(r[k] for r in rows) for k in keys}
    distance = [sum(((params[k] - r[k]) / spans[k]) ** 2 for k in keys) for r in rows]
    return sorted(table)[int(np.argmin(distance))]


def detection_targets(recipe: Recipe | dict | str, classes: Sequence[str] = LABELS,
                      clean: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Training targets of a recipe (a Recipe, its dict or its JSON) over ``classes``, all float32, read off
    its steps, or off its :func:`visible_steps` on ``clean`` when the clean image is given (HxWx3 float32):

    * ``labels`` [C]: 1 where the recipe holds an operator of that label (``clean``: no operator at all);
    * ``severity`` [C]: the highest step severity (1-5) of each present label, 0 for absent labels, NaN for a
      present label whose operators have no severity table (and for ``clean``: 0);
    * ``sigma`` [1]: the Gaussian noise level in 0-255 units (root sum of squares over ``noise.gaussian``
      steps), NaN without such a step;
    * ``quality`` [1]: the lowest JPEG quality (1-100) of ``jpeg.compress`` steps, NaN without one.
    """
    steps = _steps(recipe) if clean is None else visible_steps(recipe, clean)
    present = recipe_labels(op for op, _ in steps)
    worst: dict[str, float] = {}
    for op, params in steps:
        level = step_severity(op, params)
        if level is not None:
            worst[op_label(op)] = max(worst.get(op_label(op), 0.0), float(level))
    unknown = [c for c in present if c != CLEAN and c not in worst]
    sigmas = [float(p[SIGMA_PARAM]) for op, p in steps if op == SIGMA_OP]
    qualities = [float(p[QUALITY_PARAM]) for op, p in steps if op == QUALITY_OP]
    return {
        "labels": np.array([float(c in present) for c in classes], np.float32),
        "severity": np.array([math.nan if c in unknown else worst.get(c, 0.0) for c in classes], np.float32),
        "sigma": np.array([math.sqrt(sum(s * s for s in sigmas)) if sigmas else math.nan], np.float32),
        "quality": np.array([min(qualities) if qualities else math.nan], np.float32),
    }
