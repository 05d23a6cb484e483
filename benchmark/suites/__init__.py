"""Benchmark suites: YAML configs composed with hydra-core, validated into :class:`Suite` objects.

    from benchmark.suites import load_suite, list_suites
    suite = load_suite("aio3", ["task_defaults.limit=5", "tasks.rain.seed=3", "metrics=[psnr]"])

Shipped suites live in ``benchmark/suites/configs/*.yaml``; installed packages add folders of suite files
through the entry-point group ``restorebench.suites`` (an entry point naming a folder path); ``list_suites()``
lists both, and a path to any other YAML file works too. Any field can be overridden with hydra's override grammar: ``key=value`` sets a field whether or not
the file names it (it is passed to hydra as ``++key=value``; misspelt keys are caught by the schema), ``~key``
deletes one. See ``benchmark.suites.schema`` for the fields.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from benchmark.suites.schema import Suite, Task, build_suite
from restorebench.errors import InputError
from restorebench.registry import Registry

CONFIG_DIR = Path(__file__).resolve().parent / "configs"

__all__ = ["CONFIG_DIR", "SUITES", "Suite", "Task", "compose_config", "list_suites", "load_suite"]


def _add_folder(folder: str | Path, origin: str) -> None:
    for path in sorted(Path(folder).glob("*.yaml")):
        SUITES.add(path.stem, path, origin)


SUITES: Registry[Path] = Registry(
    "suite", discover=lambda: _add_folder(CONFIG_DIR, str(CONFIG_DIR)),
    plugin=lambda name, folder: _add_folder(folder, f"entry point {name!r} (restorebench.suites)"))
"""Suite config files by name."""


def list_suites(pattern: str = "*") -> list[str]:
    """Names of the shipped and installed suites matching a shell ``pattern``, sorted."""
    return SUITES.list(pattern)


def compose_config(name_or_path: str, overrides: list[str] | tuple[str, ...] = ()) -> dict:
    """Compose a suite config with hydra (defaults list + ``overrides``) and return it as a resolved dict."""
    import yaml
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    path = Path(name_or_path).expanduser()
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        try:
            path = SUITES.get(name_or_path)
        except InputError as exc:
            raise InputError(f"{exc} (or pass a path to a suite .yaml file)") from None
    config_dir, config_name = path.resolve().parent, path.stem
    try:
        with initialize_config_dir(config_dir=str(config_dir), version_base=None):
            cfg = compose(config_name=config_name, overrides=[_upsert(o) for o in overrides])
        data = OmegaConf.to_container(cfg, resolve=True)
    except (HydraException, OmegaConfBaseException, yaml.YAMLError) as exc:
        text = " ".join(str(exc).split())[:200] if str(exc).strip() else type(exc).__name__
        raise InputError(f"suite {name_or_path}: not a valid suite config ({text})") from None
    if not isinstance(data, dict):
        raise InputError(f"suite {name_or_path}: the config must be a mapping")
    return data


def _upsert(override: str) -> str:
    """``key=value`` -> ``++key=value`` (set or add); ``+``/``++``/``~`` overrides pass unchanged."""
    return override if override.startswith(("+", "~")) else "++" + override


def load_suite(name_or_path: str, overrides: list[str] | tuple[str, ...] = ()) -> Suite:
    """Compose, validate and expand a suite (a shipped name or a YAML path) with hydra ``overrides``
    (recorded in :attr:`Suite.overrides` for the report)."""
    suite = build_suite(compose_config(name_or_path, overrides), base_dir=Path.cwd())
    return dataclasses.replace(suite, overrides=tuple(overrides))
