"""The corpus config: what a ``restorebench generate`` run makes, as validated data (YAML in, dataclasses out).

Example (``configs/corpus/example.yaml`` has a commented one)::

    seed: 0
    tasks:                                   # weights need not sum to 1; they are normalized
      - {name: noise, weight: 0.3, spec: {op: noise.gaussian, ranges: {sigma: [15, 50]}}}
      - {name: mix,   weight: 0.7, spec: {policy: some_of, min: 2, max: 3, items: [...]}}
    patches: {mode: random, size: 256, per_image: 4}     # or {mode: grid, size, stride} or {mode: whole}
    output: {bits: 8, compress_level: 1, fast_png: true}
    sources: {max_pixels: 100000000}
    instructions: {enabled: false, ground: te42, size: 256}

Every field has a default except ``tasks``. ``to_dict()`` gives the canonical form recorded in
``corpus.json``; a resumed or sharded run must have the same canonical config.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from degrade.spec import validate_spec
from restorebench.errors import InputError
from restorebench.imageio import MAX_PIXELS
from restorebench.validate import MIN_SIDE, check_int

PATCH_MODES = ("random", "grid", "whole")


@dataclass(frozen=True)
class Task:
    """One entry of the task mix: a label, a relative weight (> 0) and a degrade spec (see degrade.spec)."""

    name: str
    weight: float
    spec: dict


@dataclass(frozen=True)
class PatchConfig:
    """How samples are cut from a source image.

    * ``random``: ``per_image`` crops of ``size`` x ``size`` pixels at positions drawn per sample;
    * ``grid``: every ``size`` x ``size`` crop on a grid of step ``stride`` (default ``size``), the last
      row/column flush with the border so the whole image is covered (BasicSR's sub-image convention);
    * ``whole``: the whole image, one sample per source.
    """

    mode: str = "random"
    size: int = 256
    per_image: int = 1
    stride: int | None = None


@dataclass(frozen=True)
class OutputConfig:
    """PNG encoding of gt/, lq/ and instruction/ files: bit depth (8 or 16) and encoder.

    ``fast_png`` (default): 8-bit files are written by fpng (much faster than zlib, somewhat larger), 16-bit
    ones by OpenCV with the Up filter and RLE; otherwise OpenCV's zlib at ``compress_level`` (0-9).
    """

    bits: int = 8
    compress_level: int = 1
    fast_png: bool = True


@dataclass(frozen=True)
class SourceConfig:
    """Source checks: images over ``max_pixels`` or with a side under ``min_side`` are skipped."""

    max_pixels: int = MAX_PIXELS
    min_side: int = MIN_SIDE


@dataclass(frozen=True)
class InstructionConfig:
    """Visual instructions (``--instructions``): a ground name and the instruction image side in pixels."""

    enabled: bool = False
    ground: str = "te42"
    size: int = 256


@dataclass(frozen=True)
class CorpusConfig:
    """A validated corpus config (see module docstring)."""

    tasks: tuple[Task, ...]
    seed: int = 0
    patches: PatchConfig = field(default_factory=PatchConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    sources: SourceConfig = field(default_factory=SourceConfig)
    instructions: InstructionConfig = field(default_factory=InstructionConfig)

    @property
    def weights(self) -> list[float]:
        """Task weights normalized to sum 1, in task order."""
        total = sum(t.weight for t in self.tasks)
        return [t.weight / total for t in self.tasks]

    def to_dict(self) -> dict:
        """Canonical JSON-serializable form (recorded in corpus.json; equal configs give equal dicts)."""
        d = asdict(self)
        d["tasks"] = [asdict(t) for t in self.tasks]
        return d

    def to_json(self) -> str:
        """Canonical JSON (sorted keys)."""
        return json.dumps(self.to_dict(), sort_keys=True)


def _check_keys(cls: type, data: dict, where: str) -> None:
    known = set(cls.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(known)}")


def _section(cls: type, data: Any, where: str) -> Any:
    if data is None:
        return cls()
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping, got {type(data).__name__}")
    _check_keys(cls, data, where)
    return cls(**data)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{where}={value!r}: expected true or false")
    return value


def _check_patches(p: PatchConfig, where: str) -> PatchConfig:
    if p.mode not in PATCH_MODES:
        raise InputError(f"{where}.mode={p.mode!r}: use one of {PATCH_MODES}")
    check_int(p.size, f"{where}.size", MIN_SIDE)
    check_int(p.per_image, f"{where}.per_image", 1)
    if p.stride is not None:
        check_int(p.stride, f"{where}.stride", 1)
        if p.mode != "grid":
            raise InputError(f"{where}.stride applies to mode: grid only (mode is {p.mode!r})")
    if p.mode != "random" and p.per_image != 1:
        raise InputError(f"{where}.per_image applies to mode: random only (mode is {p.mode!r})")
    return p


def _check_tasks(data: Any, where: str) -> tuple[Task, ...]:
    if not isinstance(data, list) or not data:
        raise InputError(f"{where}: expected a non-empty list of {{name, weight, spec}}")
    tasks = []
    for i, t in enumerate(data):
        at = f"{where}[{i}]"
        if not isinstance(t, dict) or set(t) != {"name", "weight", "spec"}:
            got = sorted(t) if isinstance(t, dict) else type(t).__name__
            raise InputError(f"{at}: a task is a mapping with exactly name, weight and spec (got {got})")
        if not isinstance(t["name"], str) or not t["name"]:
            raise InputError(f"{at}.name: expected a non-empty string")
        w = t["weight"]
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not w > 0 or w == float("inf"):
            raise InputError(f"{at}.weight={w!r}: expected a positive finite number")
        validate_spec(t["spec"], f"{at}.spec")
        tasks.append(Task(t["name"], float(w), t["spec"]))
    names = [t.name for t in tasks]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"{where}: duplicate task name(s) {dupes}")
    return tuple(tasks)


def parse_config(data: Any, source: str = "config") -> CorpusConfig:
    """Validate a config mapping (as loaded from YAML) into a :class:`CorpusConfig`; errors name the key."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: a corpus config is a mapping with at least 'tasks'")
    _check_keys(CorpusConfig, data, source)
    patches = _check_patches(_section(PatchConfig, data.get("patches"), f"{source}: patches"), f"{source}: patches")
    output = _section(OutputConfig, data.get("output"), f"{source}: output")
    if output.bits not in (8, 16):
        raise InputError(f"{source}: output.bits={output.bits!r}: PNG output supports 8 or 16")
    check_int(output.compress_level, f"{source}: output.compress_level", 0, 9)
    _bool(output.fast_png, f"{source}: output.fast_png")
    sources = _section(SourceConfig, data.get("sources"), f"{source}: sources")
    check_int(sources.max_pixels, f"{source}: sources.max_pixels", 1)
    check_int(sources.min_side, f"{source}: sources.min_side", 1)
    instructions = _section(InstructionConfig, data.get("instructions"), f"{source}: instructions")
    check_int(instructions.size, f"{source}: instructions.size", MIN_SIDE)
    _bool(instructions.enabled, f"{source}: instructions.enabled")
    if not isinstance(instructions.ground, str):
        raise InputError(f"{source}: instructions.ground={instructions.ground!r}: expected a ground name")
    seed = check_int(data.get("seed", 0), f"{source}: seed", 0, 2**63 - 1)
    return CorpusConfig(_check_tasks(data.get("tasks"), f"{source}: tasks"), seed, patches, output, sources,
                        instructions)


def load_config(path: str | Path) -> CorpusConfig:
    """Read and validate a YAML (or JSON) corpus config file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such config file")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    return parse_config(data, str(path))
