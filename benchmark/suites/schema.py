"""Suite schema: a composed suite config (plain dict) -> validated :class:`Suite` of expanded :class:`Task` s.

A suite names its tasks as a mapping (so ``tasks.rain.seed=3`` or ``~tasks.rain`` work as hydra overrides).
Every task takes its unset fields from ``task_defaults``. A task is one of three kinds of data:

* synthetic: ``source`` (clean folder) + ``spec`` (a ``degrade`` recipe spec) or ``recipe`` (an applied
  recipe), degraded per image with ``restorebench.seeding.sample_rng(seed, i)``; the clean image is the target;
* real paired: ``paired: {input: DIR, target: DIR}``: inputs paired with targets by file stem, or by id
  prefix (``0001_0.8_0.2.jpg`` <-> ``0001.png``); replaces the synthetic data when given;
* no-reference: ``noref: true`` and a ``source`` of real degraded photos scored with no-reference metrics only.

Two task keys expand one entry into several tasks:

* ``sweep: {ops: PATTERN | [names], severities: [1, ..., 5]}`` -> one task per operator and severity,
  named ``<op>@s<severity>`` (``group`` = operator, ``severity`` recorded for severity curves); a pattern
  skips operators without a severity table (``blur.kernel`` takes a user kernel);
* ``all_orders: [leaf, leaf, ...]`` -> one chain task per permutation, named by the operator families in
  order (``rain>snow>noise``; ``order`` recorded for the order-sensitivity heatmap).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark.metrics.base import spec
from benchmark.protocols import list_protocols
from restorebench.errors import InputError
from restorebench.paths import inside

TASK_KEYS = {
    "source",
    "spec",
    "recipe",
    "seed",
    "paired",
    "noref",
    "limit",
    "crop",
    "kinds",
    "group",
    "severity",
    "order",
    "sweep",
    "all_orders",
    "description",
}
SUITE_KEYS = {
    "name",
    "description",
    "data_root",
    "protocol",
    "compare_protocols",
    "metrics",
    "nr_metrics",
    "task_defaults",
    "tasks",
    "match_tasks",
    "gallery",
    "defaults",
}


@dataclass(frozen=True)
class Task:
    """One expanded task of a suite.

    ``source``: folder of clean (synthetic) or real degraded (noref) images, absolute after loading, or
    ``skimage:NAME,NAME`` for scikit-image's bundled photos. ``spec``/``recipe``: what degrades them.
    ``paired``: ``{"input": DIR, "target": DIR}`` for real pairs. ``limit``: first N images (sorted) only.
    ``crop``: centre crop of at most ``crop`` x ``crop`` pixels of every clean image before degradation.
    ``kinds``: degradation families present (e.g. ``["rain", "snow"]``), used to match task-specific methods.
    """

    name: str
    source: str | None = None
    spec: dict | None = None
    recipe: dict | None = None
    seed: int = 0
    paired: dict | None = None
    noref: bool = False
    limit: int | None = None
    crop: int | None = None
    kinds: tuple[str, ...] = ()
    group: str = ""
    severity: int | None = None
    order: str | None = None
    description: str = ""

    @property
    def has_reference(self) -> bool:
        """True when the task has ground truth (full-reference metrics apply)."""
        return not self.noref

    def to_dict(self) -> dict:
        """JSON-serializable description (for reports and content hashes)."""
        return {
            "name": self.name,
            "source": self.source,
            "spec": self.spec,
            "recipe": self.recipe,
            "seed": self.seed,
            "paired": self.paired,
            "noref": self.noref,
            "limit": self.limit,
            "crop": self.crop,
            "kinds": list(self.kinds),
            "group": self.group,
            "severity": self.severity,
            "order": self.order,
        }


@dataclass(frozen=True)
class Suite:
    """A validated suite: its tasks (expanded, in config order), metrics and protocol."""

    name: str
    tasks: tuple[Task, ...]
    metrics: tuple[str, ...]
    nr_metrics: tuple[str, ...] = ()
    protocol: str = "rgb"
    description: str = ""
    data_root: str = "data"
    match_tasks: bool = True
    gallery: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict, compare=False)
    overrides: tuple[str, ...] = ()
    """The command-line overrides the suite was composed with."""
    compare_protocols: tuple[str, ...] = ()
    """Other protocols the same outputs are also scored under, side by side in the report (the papers'
    conventions a user compares with)."""

    def task(self, name: str) -> Task:
        """The task called ``name``; unknown names raise InputError listing the known ones."""
        for t in self.tasks:
            if t.name == name:
                return t
        raise InputError(
            f"suite {self.name}: no task {name!r}; tasks: {', '.join(t.name for t in self.tasks)}"
        )

    def metrics_for(self, task: Task) -> tuple[str, ...]:
        """Metrics scored on ``task``: full-reference + no-reference ones, or no-reference only without GT."""
        if task.has_reference:
            return tuple(dict.fromkeys(self.metrics + self.nr_metrics))
        return self.nr_metrics


def build_suite(cfg: dict, base_dir: Path | None = None) -> Suite:
    """Validate a composed suite config (plain dict) and expand its tasks; raises one-line InputErrors."""
    name = cfg.get("name")
    if not isinstance(name, str) or not name:
        raise InputError("suite config: 'name' (a non-empty string) is required")
    unknown = sorted(set(cfg) - SUITE_KEYS)
    if unknown:
        raise InputError(f"suite {name}: unknown key(s) {unknown}; expected some of {sorted(SUITE_KEYS)}")
    tasks_cfg = cfg.get("tasks")
    if not isinstance(tasks_cfg, dict) or not tasks_cfg:
        raise InputError(f"suite {name}: 'tasks' must be a non-empty mapping of task name -> task")
    data_root = Path(str(cfg.get("data_root") or "data")).expanduser()
    if not data_root.is_absolute() and base_dir is not None:
        data_root = base_dir / data_root
    defaults = dict(cfg.get("task_defaults") or {})
    tasks: list[Task] = []
    for tname, tcfg in tasks_cfg.items():
        if tcfg is None:
            continue
        if not isinstance(tcfg, dict):
            raise InputError(f"suite {name}: task {tname!r} must be a mapping, got {type(tcfg).__name__}")
        merged = {**defaults, **{k: v for k, v in tcfg.items() if v is not None or k not in defaults}}
        bad = sorted(set(merged) - TASK_KEYS)
        if bad:
            raise InputError(
                f"suite {name}: task {tname!r} has unknown key(s) {bad}; expected some of {sorted(TASK_KEYS)}"
            )
        tasks += _expand(name, str(tname), merged, data_root)
    if not tasks:
        raise InputError(f"suite {name}: every task was removed; keep at least one")
    names = [t.name for t in tasks]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"suite {name}: duplicate task name(s) {dup} after expansion")
    protocol = str(cfg.get("protocol") or "rgb")
    if protocol not in list_protocols():
        raise InputError(f"suite {name}: unknown protocol {protocol!r}; known: {', '.join(list_protocols())}")
    compare = _names(cfg.get("compare_protocols"), f"suite {name}: compare_protocols")
    for other in compare:
        if other not in list_protocols():
            raise InputError(f"suite {name}: compare_protocols: unknown protocol {other!r}; known: "
                             f"{', '.join(list_protocols())}")
    metrics = _names(cfg.get("metrics"), f"suite {name}: metrics")
    nr_metrics = _names(cfg.get("nr_metrics"), f"suite {name}: nr_metrics")
    for key, names in (("metrics", metrics), ("nr_metrics", nr_metrics)):
        for metric in names:
            try:
                spec(metric)
            except InputError as exc:
                raise InputError(f"suite {name}: {key}: {exc}") from None
    if any(t.has_reference for t in tasks) and not metrics + nr_metrics:
        raise InputError(f"suite {name}: no metrics; set metrics=[psnr,ssim] or similar")
    if any(not t.has_reference for t in tasks) and not nr_metrics:
        raise InputError(
            f"suite {name}: tasks without ground truth need no-reference metrics in 'nr_metrics'"
        )
    return Suite(
        name=name,
        tasks=tuple(tasks),
        metrics=metrics,
        nr_metrics=nr_metrics,
        protocol=protocol,
        description=str(cfg.get("description") or ""),
        data_root=str(data_root),
        match_tasks=bool(cfg.get("match_tasks", True)),
        gallery=dict(cfg.get("gallery") or {}),
        config=cfg,
        compare_protocols=tuple(p for p in compare if p != protocol),
    )


def _names(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in value.split(",") if v]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{what}: expected a list of names, got {value!r}")
    return tuple(value)


def _resolve_dir(path: Any, data_root: Path, what: str) -> str:
    if not isinstance(path, str) or not path:
        raise InputError(f"{what}: expected a folder path, got {path!r}")
    if path.startswith("skimage:"):
        return path
    p = Path(path).expanduser()
    return str(p if p.is_absolute() else inside(data_root, p, what))


def _expand(suite: str, tname: str, t: dict, data_root: Path) -> list[Task]:
    where = f"suite {suite}: task {tname!r}"
    if "sweep" in t and t["sweep"] is not None:
        return _expand_sweep(suite, tname, t, data_root)
    if "all_orders" in t and t["all_orders"] is not None:
        return _expand_orders(suite, tname, t, data_root)
    return [_make_task(where, tname, t, data_root)]


def _expand_sweep(suite: str, tname: str, t: dict, data_root: Path) -> list[Task]:
    from degrade import get, list_ops

    where = f"suite {suite}: task {tname!r}"
    sweep = t["sweep"]
    if not isinstance(sweep, dict) or "ops" not in sweep:
        raise InputError(f"{where}: sweep must be {{ops: PATTERN or [names], severities: [1, ..., 5]}}")
    ops = sweep["ops"]
    names = [n for n in list_ops(ops) if get(n).severities] if isinstance(ops, str) else list(ops)
    if not names:
        raise InputError(f"{where}: sweep ops {ops!r} match no registered operator")
    rest = {k: v for k, v in t.items() if k not in ("sweep", "spec", "recipe")}
    tasks = []
    for op in names:
        levels = sweep.get("severities") or sorted(get(op).severities)
        for sev in levels:
            spec = {"op": op, "severity": int(sev)}
            tasks.append(
                _make_task(
                    where,
                    f"{op}@s{sev}",
                    {**rest, "spec": spec, "group": op, "severity": int(sev)},
                    data_root,
                )
            )
    return tasks


def _expand_orders(suite: str, tname: str, t: dict, data_root: Path) -> list[Task]:
    where = f"suite {suite}: task {tname!r}"
    leaves = t["all_orders"]
    if (
        not isinstance(leaves, list)
        or len(leaves) < 2
        or not all(isinstance(x, dict) and "op" in x for x in leaves)
    ):
        raise InputError(
            f"{where}: all_orders must list at least two operator leaves {{op: ..., severity: ...}}"
        )
    rest = {k: v for k, v in t.items() if k not in ("all_orders", "spec", "recipe")}
    tasks = []
    for perm in itertools.permutations(leaves):
        order = ">".join(leaf["op"].split(".")[0] for leaf in perm)
        spec = {"policy": "chain", "items": [dict(leaf) for leaf in perm]}
        tasks.append(
            _make_task(where, order, {**rest, "spec": spec, "group": tname, "order": order}, data_root)
        )
    return tasks


def _make_task(where: str, name: str, t: dict, data_root: Path) -> Task:
    from degrade import validate_spec
    from degrade.recipe import Recipe
    from degrade.spec import spec_ops

    paired = t.get("paired")
    spec, recipe = t.get("spec"), t.get("recipe")
    noref = bool(t.get("noref", False))
    kinds = list(t.get("kinds") or [])
    source = t.get("source")
    if paired is not None:
        if not isinstance(paired, dict) or not {"input", "target"} <= set(paired):
            raise InputError(f"{where}: paired must be {{input: DIR, target: DIR}}, got {paired!r}")
        paired = {
            "input": _resolve_dir(paired["input"], data_root, f"{where}: paired.input"),
            "target": _resolve_dir(paired["target"], data_root, f"{where}: paired.target"),
        }
        spec = recipe = None
        if not kinds and t.get("spec"):
            kinds = [op.split(".")[0] for op in spec_ops(t["spec"])]
        if not kinds:
            raise InputError(
                f"{where}: a real paired task needs 'kinds' (e.g. [rain]) to match methods to it"
            )
    elif noref:
        if spec is not None or recipe is not None:
            raise InputError(
                f"{where}: a no-reference task (noref: true) takes real photos as they are; drop spec/recipe"
            )
        if not kinds:
            raise InputError(
                f"{where}: a no-reference task needs 'kinds' (e.g. [noise]) to match methods to it"
            )
    else:
        if (spec is None) == (recipe is None):
            raise InputError(
                f"{where}: give exactly one of 'spec' (what to sample) or 'recipe' (what to apply)"
            )
        if spec is not None:
            validate_spec(spec, f"{where}: spec")
            ops = spec_ops(spec)
        else:
            ops = list(Recipe.from_dict(recipe, f"{where}: recipe").ops)
        kinds = kinds or list(dict.fromkeys(op.split(".")[0] for op in ops))
    if paired is None and source is None:
        raise InputError(f"{where}: 'source' (a folder of images or skimage:NAMES) is required")
    if not isinstance(t.get("seed", 0), int):
        raise InputError(f"{where}: seed must be an integer, got {t.get('seed')!r}")
    for key in ("limit", "crop"):
        v = t.get(key)
        if v is not None and (not isinstance(v, int) or v < 1):
            raise InputError(f"{where}: {key} must be a positive integer or null, got {v!r}")
    return Task(
        name=name,
        source=None if source is None else _resolve_dir(source, data_root, f"{where}: source"),
        spec=spec,
        recipe=recipe,
        seed=int(t.get("seed", 0)),
        paired=paired,
        noref=noref,
        limit=t.get("limit"),
        crop=t.get("crop"),
        kinds=tuple(kinds),
        group=str(t.get("group") or name),
        severity=t.get("severity"),
        order=t.get("order"),
        description=str(t.get("description") or ""),
    )
