"""Turn a finished run into a named registry entry (a YAML file read through ``$RESTOREBENCH_REGISTRY``)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

import models
from models.network import detected_args, import_adapter, read_state_dict
from models.registry import NAME_RE
from restorebench.atomic import write_text_atomic
from restorebench.errors import InputError
from train.checkpoint import FINAL
from train.config import CONFIG, read_config


def registry_entry(run: Path) -> dict:
    """The registry entry of a finished run: the base model's entry with the run's size, extra inputs and weights
    file."""
    run = Path(run).resolve()
    weights = run / FINAL
    summary_path = run / "summary.json"
    if not weights.is_file() or not summary_path.is_file():
        raise InputError(f"{run}: no finished training run (final.pth and summary.json missing)")
    cfg = read_config(run / CONFIG)
    base = models.info(cfg["model"])
    summary = json.loads(summary_path.read_text())
    state = read_state_dict(weights, base.state_key, base.strip_prefix)
    args = {**base.args, **detected_args(base, state)}
    entry = {
        "family": base.family, "adapter": base.adapter, "tasks": list(base.tasks), "paper": base.paper,
        "code": {"repo": "restorebench", "license": "Apache-2.0"}, "args": args, "inputs": _inputs(base, args),
        "weights": [{"file": str(weights), "sha256": summary["sha256"], "url": None,
                     "source": f"restorebench train, run {run}"}],
        "state_key": base.state_key, "strip_prefix": base.strip_prefix, "size_multiple": base.size_multiple,
        "notes": f"{cfg['size']} size trained by restorebench train ({cfg['steps']} steps, seed {cfg['seed']})",
    }
    return json.loads(json.dumps(entry))


def _inputs(base: models.ModelInfo, args: dict) -> dict:
    """The base entry's extra inputs; a visual instruction drawn on the ground of the module built with ``args``
    (its ``instruction_spec``: a trained size may draw its instructions smaller than the base entry declares)."""
    if "instruction" not in base.inputs:
        return dict(base.inputs)
    import torch

    with torch.device("meta"):
        module = import_adapter(base.adapter)(**args)
    return {**base.inputs, "instruction": module.instruction_spec}


def register_run(run: str | Path, name: str, registry: str | Path, tasks: list[str] | None = None) -> Path:
    """Add the run as entry ``name`` to the registry YAML file ``registry`` (created if missing); point
    ``$RESTOREBENCH_REGISTRY`` at that file to load it by name. ``tasks`` replaces the base entry's tasks (a
    model trained for one degradation only)."""
    if not NAME_RE.match(name):
        raise InputError(f"name {name!r}: registry names are lower-case letters, digits, '.' and '-'")
    if name in models.entries():
        raise InputError(f"name {name!r} is already a registry entry; choose another")
    path = Path(registry)
    existing = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if not isinstance(existing, dict):
        raise InputError(f"{path}: not a registry file (expected a mapping of names to entries)")
    if name in existing:
        raise InputError(f"{path}: already has an entry {name!r}; choose another name")
    entry = registry_entry(Path(run))
    existing[name] = {**entry, "tasks": list(tasks)} if tasks else entry
    write_text_atomic(path, yaml.safe_dump(existing, sort_keys=False))
    return path
