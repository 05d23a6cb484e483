"""Reads ``registry.yaml`` (plus any YAML files in ``$RESTOREBENCH_REGISTRY`` and the mappings of entries that
installed packages name in the entry-point group ``restorebench.models``) into ModelInfo entries.

The file lives at the repository root; ``models/registry.yaml`` is a symbolic link to it, so the file ships
inside the package (setuptools copies the link's target into wheels) and a checkout reads the root file.

``list_models("dncnn*", family="learned", task="noise")`` filters names timm-style (shell patterns, a list of
patterns, exclusions). ``get_info(name)`` returns one entry or raises InputError suggesting close names.
Every entry is checked against the schema when the file is read, so a typo fails with one line naming the
entry and the key.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from models.inputs import check_inputs
from models.restorer import ModelInfo
from restorebench.errors import InputError
from restorebench.registry import Registry
from restorebench.weights import WeightFile

REGISTRY_FILE = Path(__file__).with_name("registry.yaml")
ENV_REGISTRY = "RESTOREBENCH_REGISTRY"
"""Extra registry YAML files (``os.pathsep``-separated), read after the bundled one; users add methods there."""

FAMILIES = ("classical", "learned", "all-in-one", "detector", "stage")
RESTORERS = FAMILIES[:3]
"""Families of restoration methods; a ``detector`` entry (a degradation detector, ``models.detect``) is trained
and shipped like a network but restores nothing; a ``stage`` entry is a method's first training stage (e.g.
``defusion-tokenizer``), trained on its own and restoring nothing: its run initializes the method's training."""
GRAY_MODES = ("per_channel", "y")
OPT_INS = ("academic",)
WEIGHT_KEYS = {"file", "sha256", "url", "license", "source", "bundled"}
BUNDLED_WEIGHTS = Path(__file__).with_name("weights")
"""Weight files trained by this project and shipped with it (registry items with ``bundled: true``)."""
REQUIRED = ("family", "adapter", "tasks", "paper", "code")
OPTIONAL = {"args": {}, "weights": [], "state_key": None, "strip_prefix": None, "size_multiple": 1, "channels": 3,
            "gray_mode": None, "inputs": {}, "fp16": False, "receptive_field": None, "license_opt_in": None,
            "notes": "", "training": {}, "thresholds": {}}
TRAINING_KEYS = {"command", "corpus", "sources", "seed", "steps", "budget"}
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
ADAPTER_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def _fail(where: str, msg: str) -> InputError:
    return InputError(f"{where}: {msg}")


def _weight(where: str, w: Any) -> WeightFile:
    if not isinstance(w, dict) or "file" not in w:
        raise _fail(where, f"each weights item must be a mapping with a 'file' key, got {w!r:.80}")
    unknown = sorted(set(w) - WEIGHT_KEYS)
    if unknown:
        raise _fail(where, f"unknown weights key(s) {unknown}; expected {sorted(WEIGHT_KEYS)}")
    sha = w.get("sha256")
    if sha is not None and not re.fullmatch(r"[0-9a-f]{64}", str(sha)):
        raise _fail(where, f"weights {w['file']}: sha256 must be 64 lower-case hex digits, got {sha!r}")
    if w.get("bundled", False) not in (True, False):
        raise _fail(where, f"weights {w['file']}: bundled must be true or false")
    if w.get("bundled") and sha is None:
        raise _fail(where, f"weights {w['file']}: a bundled file needs its sha256")
    return WeightFile(name=str(w["file"]), sha256=sha, subdir="restoration", url=w.get("url"),
                      license=w.get("license"), source=w.get("source"),
                      bundled=str(BUNDLED_WEIGHTS) if w.get("bundled") else None)


def _thresholds(where: str, e: dict) -> dict[str, float]:
    """A detector's ``thresholds`` (label -> probability in (0, 1)), validated against its labels."""
    raw = e["thresholds"] or {}
    if not isinstance(raw, dict):
        raise _fail(where, "thresholds must be a mapping label -> probability")
    if raw and e["family"] != "detector":
        raise _fail(where, "thresholds apply only to family: detector")
    out = {}
    for label, value in raw.items():
        if label not in e["tasks"] or label == "clean":
            raise _fail(where, f"thresholds: {label!r} is not one of its degradation labels")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise _fail(where, f"thresholds: {label} {value!r} must be a probability strictly between 0 and 1")
        out[str(label)] = float(value)
    return out


def parse_entry(name: str, raw: Any, origin: str = "registry") -> ModelInfo:
    """Validate one raw YAML entry and build its ModelInfo; errors name ``origin`` and the entry."""
    where = f"{origin}: entry {name!r}"
    if not NAME_RE.match(str(name)):
        raise _fail(where, "names are lower-case letters, digits, '.' and '-'")
    if not isinstance(raw, dict):
        raise _fail(where, f"expected a mapping, got {type(raw).__name__}")
    missing = [k for k in REQUIRED if k not in raw]
    unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
    if missing or unknown:
        raise _fail(where, f"missing key(s) {missing}, unknown key(s) {unknown}; see the schema in {REGISTRY_FILE.name}")
    e = {**OPTIONAL, **raw}
    if e["family"] not in FAMILIES:
        raise _fail(where, f"family {e['family']!r} must be one of {list(FAMILIES)}")
    if not isinstance(e["adapter"], str) or not ADAPTER_RE.match(e["adapter"]):
        raise _fail(where, f"adapter {e['adapter']!r} must be 'package.module:factory'")
    if not isinstance(e["tasks"], list) or not e["tasks"]:
        raise _fail(where, "tasks must be a non-empty list")
    if not isinstance(e["size_multiple"], int) or e["size_multiple"] < 1:
        raise _fail(where, f"size_multiple {e['size_multiple']!r} must be a positive integer")
    if e["channels"] not in (1, 3):
        raise _fail(where, f"channels {e['channels']!r} must be 1 or 3")
    if e["channels"] == 1 and e["gray_mode"] not in GRAY_MODES:
        raise _fail(where, f"gray-only (channels: 1) needs gray_mode in {list(GRAY_MODES)}")
    if e["channels"] == 3 and e["gray_mode"] is not None:
        raise _fail(where, "gray_mode applies only to channels: 1")
    if e["license_opt_in"] not in (None, *OPT_INS):
        raise _fail(where, f"license_opt_in {e['license_opt_in']!r} must be null or one of {list(OPT_INS)}")
    rf = e["receptive_field"]
    if rf is not None and (not isinstance(rf, int) or rf < 1):
        raise _fail(where, f"receptive_field {rf!r} must be a positive integer or null")
    for key in ("args", "inputs", "code", "training"):
        if not isinstance(e[key] if e[key] is not None else {}, dict):
            raise _fail(where, f"{key} must be a mapping")
    check_inputs(e["inputs"] or {}, f"{where}: inputs")
    unknown = sorted(set(e["training"] or {}) - TRAINING_KEYS)
    if unknown:
        raise _fail(where, f"unknown training key(s) {unknown}; expected {sorted(TRAINING_KEYS)}")
    thresholds = _thresholds(where, e)
    if not isinstance(e["weights"] or [], list):
        raise _fail(where, "weights must be a list")
    return ModelInfo(
        name=name, family=e["family"], adapter=e["adapter"], tasks=tuple(map(str, e["tasks"])), paper=str(e["paper"]),
        code=dict(e["code"]), args=dict(e["args"] or {}), weights=tuple(_weight(where, w) for w in e["weights"] or []),
        state_key=e["state_key"], strip_prefix=e["strip_prefix"], size_multiple=e["size_multiple"],
        channels=e["channels"], gray_mode=e["gray_mode"], inputs=dict(e["inputs"] or {}), fp16=bool(e["fp16"]),
        receptive_field=rf, license_opt_in=e["license_opt_in"], notes=str(e["notes"] or ""),
        training=dict(e["training"] or {}), thresholds=thresholds,
    )


def registry_files() -> list[Path]:
    """The bundled registry.yaml followed by the files named in ``$RESTOREBENCH_REGISTRY``."""
    extra = [Path(p).expanduser() for p in os.environ.get(ENV_REGISTRY, "").split(os.pathsep) if p]
    return [REGISTRY_FILE, *extra]


def _add_entries(reg: Registry[ModelInfo], raw: Any, origin: str) -> None:
    if not isinstance(raw, dict):
        raise InputError(f"{origin}: expected a mapping of entry names to entries")
    for name, entry in raw.items():
        reg.add(name, parse_entry(name, entry, origin), origin)


def _read_file(reg: Registry[ModelInfo], path: Path) -> None:
    if not path.is_file():
        raise InputError(f"{path}: registry file not found (check ${ENV_REGISTRY})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from exc
    _add_entries(reg, raw, str(path))


def _matches(info: ModelInfo, key: str, value: Any) -> bool:
    """``task``: the method does it (or does ``all``); other keys: the field equals ``value``."""
    if key == "task":
        return value in info.tasks or "all" in info.tasks
    return getattr(info, key) == value


@lru_cache(maxsize=8)
def _read(files: tuple[Path, ...]) -> Registry[ModelInfo]:
    reg: Registry[ModelInfo] = Registry(
        "model", discover=lambda: [_read_file(reg, path) for path in files],
        plugin=lambda name, obj: _add_entries(reg, obj, f"entry point {name!r} (restorebench.models)"),
        match=_matches, sort=False, hint="run `restorebench models` for the list")
    return reg


def registry() -> Registry[ModelInfo]:
    """The model registry of the current ``$RESTOREBENCH_REGISTRY`` (bundled file, extra files, entry points)."""
    return _read(tuple(registry_files()))


def entries() -> dict[str, ModelInfo]:
    """All registry entries by name, in file order."""
    return registry().items()


def get_info(name: str) -> ModelInfo:
    """The entry called ``name``; an unknown name raises InputError listing the closest known names."""
    return registry().get(name)


def list_models(filter: str | list[str] = "*", family: str | None = None, task: str | None = None,
                exclude: str | list[str] = ()) -> list[str]:
    """Entry names matching any shell ``filter`` pattern (and none of ``exclude``), optionally one family or task.

    A method whose tasks include ``all`` matches every ``task``. Names come back in registry order. Without a
    ``family``, restoration methods only: detectors are listed with ``family="detector"``, training stages with
    ``family="stage"``.
    """
    if family is not None and family not in FAMILIES:
        raise InputError(f"family {family!r} must be one of {list(FAMILIES)}")
    names = registry().list(filter, exclude, family=family, task=task)
    return names if family is not None else [n for n in names if get_info(n).family in RESTORERS]
