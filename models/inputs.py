"""The extra inputs a registry entry declares (``inputs:``), validated when the registry is read.

* ``noise_level: estimated | <sigma 0-255>``: the method's noise level (:mod:`models.network`);
* ``prompt: task | detector | text`` (``text`` = ``task``), or ``{source: ..., template: "... {} ..."}``: a text
  prompt, worded from the image's degradations or a detector's, put into the template;
* ``instruction: image`` or ``{ground: te42, size: 224, ground_seed: 0}``: a visual instruction drawn on that ground.

How benchmark suites make prompts and instructions per image: ``benchmark/conditioning.py``.
"""

from __future__ import annotations

from restorebench.errors import InputError

INSTRUCTION_DEFAULTS = {"ground": "te42", "size": 224, "ground_seed": 0}
"""The instruction ground when a method declares ``instruction: image`` (Defusion's 224-pixel instructions)."""
PROMPT_SOURCES = ("task", "text", "detector")
INPUT_KEYS = ("noise_level", "prompt", "instruction")


def instruction_spec(inputs: dict, where: str = "inputs") -> dict | None:
    """The ground settings ``{ground, size, ground_seed}`` of ``inputs['instruction']``, or None without one."""
    spec = inputs.get("instruction")
    if spec is None:
        return None
    if spec == "image":
        return dict(INSTRUCTION_DEFAULTS)
    if not isinstance(spec, dict) or set(spec) - set(INSTRUCTION_DEFAULTS):
        raise InputError(f"{where}.instruction: expected 'image' or a mapping with keys "
                         f"{sorted(INSTRUCTION_DEFAULTS)}, got {spec!r}")
    out = {**INSTRUCTION_DEFAULTS, **spec}
    if not isinstance(out["ground"], str) or not all(isinstance(out[k], int) and out[k] >= 0
                                                      for k in ("size", "ground_seed")):
        raise InputError(f"{where}.instruction: ground is a ground name, size and ground_seed non-negative "
                         f"integers; got {spec!r}")
    return out


def prompt_spec(inputs: dict, where: str = "inputs") -> tuple[str, str] | None:
    """(source: ``task`` or ``detector``, template with one ``{}``) of ``inputs['prompt']``, or None without one."""
    spec = inputs.get("prompt")
    if spec is None:
        return None
    src, template = (spec.get("source"), spec.get("template", "{}")) if isinstance(spec, dict) else (spec, "{}")
    if src not in PROMPT_SOURCES or (isinstance(spec, dict) and set(spec) - {"source", "template"}):
        raise InputError(f"{where}.prompt: expected one of {list(PROMPT_SOURCES)} or {{source: ..., template: ...}}, "
                         f"got {spec!r}")
    if not isinstance(template, str) or template.count("{}") != 1:
        raise InputError(f"{where}.prompt.template: expected a sentence with one {{}} for the degradations, "
                         f"got {template!r}")
    return ("task" if src == "text" else src), template


def check_inputs(inputs: dict, where: str = "inputs") -> None:
    """Raise a one-line InputError when an ``inputs`` declaration has an unknown key or a bad value."""
    unknown = sorted(set(inputs) - set(INPUT_KEYS))
    if unknown:
        raise InputError(f"{where}: unknown input(s) {unknown}; expected some of {list(INPUT_KEYS)}")
    level = inputs.get("noise_level", "estimated")
    if level != "estimated" and (isinstance(level, bool) or not isinstance(level, (int, float))
                                 or not 0 <= level <= 255):
        raise InputError(f"{where}.noise_level: expected 'estimated' or a sigma in [0, 255], got {level!r}")
    instruction_spec(inputs, where)
    prompt_spec(inputs, where)
