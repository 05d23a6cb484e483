"""Per-image conditioning: what a method receives besides the image, as its registry ``inputs`` declare.

* ``instruction: image`` or ``instruction: {ground: te42, size: 224, ground_seed: 0}`` (Defusion): a visual
  instruction, the image's recorded recipe applied to a visual ground (:func:`degrade.instructions.make_instruction`:
  same operators and parameters, stochastic fields re-drawn from ``sample_rng(task seed, crc32(image id),
  INSTRUCTION_STREAM)``), passed as an HxWx3 float32 [0,1] array (the degraded ground). The ground is the same for
  every image (``ground_seed``), so a model knows the clean ground its instructions are drawn on. An image
  without a recipe (a real folder) gets a recipe estimated from the image: Gaussian noise of the PCA-estimated
  sigma when the task's only degradation is noise; otherwise, with a degradation detector, each of the task's
  declared kinds as its label's operator (``degrade.labels.LABEL_OPERATORS``) at the severity the detector
  estimates for it, parameters drawn from that severity; without a detector the image is ``n/a`` for that
  method, with the reason.
* ``prompt: task`` (or ``text``): the degradations of the image's recipe in order (operator words,
  ``rain.drops`` -> ``raindrop``), else the task's declared kinds, comma-separated (``"rain, snow, noise"``).
  ``prompt: detector``: the words of the labels a degradation detector finds present, most probable first.
  ``prompt: {source: task | detector, template: "A photo needs {} artifact reduction"}`` puts the words into the
  method's own sentence (``{}`` once).
* ``noise_level``: estimated or fixed inside the method (:mod:`models.network`); recorded, nothing passed.

Every image's :class:`Conditioning` carries a one-line ``record`` of what was passed, written to the results.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmark.suites.data import Item
from benchmark.suites.schema import Task
from degrade.labels import LABEL_OPERATORS, op_label
from degrade.registry import get as get_op
from models.inputs import instruction_spec, prompt_spec
from restorebench.errors import RestoreBenchError
from restorebench.seeding import draw_seed, sample_rng

if TYPE_CHECKING:
    from models.detect import Detection

INSTRUCTION_STREAM = 2
"""Sub-stream of ``sample_rng(task seed, image key, ...)`` the instruction's seed is drawn from."""
WORDS = {"lowlight": "low-light", "sr": "low resolution"}
"""Prompt words of detector labels (``degrade.labels``) that are not their own word."""

ESTIMATE_STREAM = 3
"""Sub-stream of ``sample_rng(task seed, image key, ...)`` the parameters of a detector-estimated recipe are drawn from."""

Detector = Callable[[np.ndarray], "Detection"]
"""An HxWx3 float32 [0,1] image -> its detection (``models.detect.Detection``: label probabilities, severities)."""


CONDITIONING_DETECTOR = "detector-cnn"
"""The detector that estimates real images' recipes and detector prompts: part of the benchmark protocol (as
FID fixes its feature network), so scores made with it stay comparable when another default detector
(``models.detect.DEFAULT_DETECTOR``) ships."""


def uses_detector(inputs: dict, where: str = "inputs") -> bool:
    """True when a method with these registry ``inputs`` is conditioned through the detector: a visual
    instruction (estimated by it for real images) or a detector prompt."""
    prompt = prompt_spec(inputs, where)
    return instruction_spec(inputs, where) is not None or (prompt is not None and prompt[0] == "detector")


def conditioning_detector(device: str = "cpu") -> Detector:
    """:data:`CONDITIONING_DETECTOR` with its verified weights, loaded on its first call."""
    loaded = []

    def detect(img: np.ndarray) -> Detection:
        if not loaded:
            from models.detect import load_detector

            loaded.append(load_detector(CONDITIONING_DETECTOR, device=device))
        return loaded[0].detect_image(img)

    return detect


class ConditionUnavailable(RestoreBenchError):
    """The conditioning a method needs cannot be made for this image (the reason is the message)."""


@dataclass(frozen=True)
class Conditioning:
    """Keyword arguments for the method's restore function and a one-line record of them ("" when none)."""

    kwargs: dict[str, Any] = field(default_factory=dict)
    record: str = ""


def describe(inputs: dict, where: str = "inputs") -> str:
    """A method's conditioning in one line, e.g. ``instruction from the recipe (te42, 224 px); prompt from the task``."""
    parts = []
    ins = instruction_spec(inputs, where)
    if ins is not None:
        parts.append(f"instruction from the recipe ({ins['ground']}, {ins['size']} px, ground seed {ins['ground_seed']})")
    prompt = prompt_spec(inputs, where)
    if prompt is not None:
        parts.append(f"prompt from the {prompt[0]}" + (f" as {prompt[1]!r}" if prompt[1] != "{}" else ""))
    if "noise_level" in inputs:
        parts.append(f"noise level {inputs['noise_level']} (inside the method)")
    return "; ".join(parts)


def prompt_words(ops: list[str]) -> list[str]:
    """Prompt words of operator names or families, in order, without repeats: each one's label
    (``degrade.labels.op_label``: ``rain.drops`` -> raindrop, ``resize`` -> sr) in words."""
    return list(dict.fromkeys(WORDS.get(op_label(op), op_label(op)) for op in ops))


def instruction_seed(task: Task, item: Item) -> int:
    """The seed of ``item``'s instruction: independent of which other images are restored with it."""
    return draw_seed(sample_rng(task.seed, zlib.crc32(item.image_id.encode()), INSTRUCTION_STREAM))


def estimated_recipe(task: Task, item: Item, img: np.ndarray, detector: Detector | None = None) -> tuple[dict, str]:
    """(recipe dict, how it was estimated) for an image without a recorded recipe (see the module docstring);
    ConditionUnavailable if no estimate can be made."""
    kinds = list(task.kinds)
    if set(kinds) == {"noise"}:
        from models.estimate import estimate_sigma

        sigma = round(estimate_sigma(img), 2)
        step = {"op": "noise.gaussian", "params": {"sigma": sigma, "gray": False, "seed": 0}}
        return {"version": 1, "steps": [step]}, f"estimated noise.gaussian sigma {sigma}"
    unknown = [k for k in kinds if k not in LABEL_OPERATORS]
    if detector is None or unknown or not kinds:
        why = f"no label for {', '.join(unknown)}" if unknown else "no degradation detector was given to the runner"
        raise ConditionUnavailable(f"no recorded recipe and no estimator for {', '.join(kinds) or 'an unnamed kind'} "
                                   f"({why})")
    found = detector(img)
    rng = sample_rng(task.seed, zlib.crc32(item.image_id.encode()), ESTIMATE_STREAM)
    steps, words = [], []
    for kind in sorted(kinds, key=lambda k: -found.probabilities[k]):
        op, level = LABEL_OPERATORS[kind], min(5, max(1, round(found.severities[kind])))
        steps.append({"op": op, "params": get_op(op).sample(rng, level)})
        words.append(f"{op} severity {level}")
    return {"version": 1, "steps": steps}, f"estimated by the detector: {', '.join(words)}"


def make_instruction_for(spec: dict, task: Task, item: Item, img: np.ndarray,
                         detector: Detector | None = None) -> tuple[np.ndarray, str]:
    """(instruction HxWx3 float32 [0,1], record) for ``item`` on the ground ``spec``."""
    from degrade.instructions import make_instruction

    recipe, origin = ((item.recipe, "recipe") if item.recipe is not None
                      else estimated_recipe(task, item, img, detector))
    seed = instruction_seed(task, item)
    ins = make_instruction(recipe, seed, **spec)
    ops = ">".join(s["op"] for s in recipe["steps"]) or "none"
    return ins.degraded, f"instruction: {ops} ({origin}; {spec['ground']} {spec['size']} px, seed {seed})"


def condition(inputs: dict, task: Task, item: Item, img: np.ndarray, detector: Detector | None = None) -> Conditioning:
    """The conditioning of one image (HxWx3 float32 [0,1]) of ``task`` for a method with registry ``inputs``."""
    kwargs: dict[str, Any] = {}
    records = []
    spec = instruction_spec(inputs)
    if spec is not None:
        kwargs["instruction"], rec = make_instruction_for(spec, task, item, img, detector)
        records.append(rec)
    prompt = prompt_spec(inputs)
    if prompt is not None:
        src, template = prompt
        if src == "detector":
            if detector is None:
                raise ConditionUnavailable("needs a degradation detector for its prompt; none was given to the runner")
            words = [WORDS.get(k, k) for k in detector(img).present] or ["clean"]
        else:
            words = prompt_words([s["op"] for s in item.recipe["steps"]] if item.recipe is not None else list(task.kinds))
        kwargs["prompt"] = template.format(", ".join(words))
        records.append(f"prompt ({src}): {kwargs['prompt']!r}")
    if "noise_level" in inputs:
        records.append(f"noise level: {inputs['noise_level']}")
    return Conditioning(kwargs, "; ".join(records))
