"""Suite runner: prepare data, restore with every method (cached, resumable), score; :mod:`benchmark.report`
writes the report.

The work folder and what it caches are :mod:`benchmark.workdir`'s, scoring is :mod:`benchmark.scoring`'s. A
file present means that piece of work is done: a second run restores and scores nothing, and a run killed at
any point resumes where it stopped and ends with the same results. A method that raises on one image is
recorded for that image (``status = error``) and the run goes on; a method that cannot load (weights unavailable, license opt-in, missing dependency) becomes an ``n/a`` row
with its reason. Task-specific methods run only on tasks whose degradation kinds they declare
(``match_tasks``); methods declaring ``all`` run on all. Methods whose registry ``inputs`` ask for a visual
instruction or a text prompt get one per image (:mod:`benchmark.conditioning`); the results' ``conditioning``
column records what each image was given, and an image that cannot get what its method needs is ``n/a``
for that method (``status = n/a``, the reason in ``error``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from benchmark.conditioning import (
    CONDITIONING_DETECTOR,
    Conditioning,
    ConditionUnavailable,
    Detector,
    condition,
    conditioning_detector,
    describe,
    uses_detector,
)
from benchmark.scoring import Scorer, harness_scorer, metric_availability, score_task
from benchmark.suites import Suite, Task
from benchmark.suites.data import Item, TaskData, prepare_suite, suite_digest
from benchmark.workdir import (
    append_jsonl,
    default_work_dir,
    image_conditioning,
    image_errors,
    pending,
    read_times,
    restored_dir,
    score_path,
)
from restorebench.atomic import write_text_atomic
from restorebench.engine import Engine
from restorebench.errors import RestoreBenchError
from restorebench.imageio import read_image, write_image
from restorebench.validate import check_image

if TYPE_CHECKING:
    from models.restorer import ModelInfo

RestoreFn = Callable[..., np.ndarray]
"""Restores one HxWx3 float32 [0,1] image to the same shape: ``fn(img, **conditioning kwargs)``."""

OP_FAMILY_TO_TASK = {"resize": "sr"}
"""Degradation family -> the task name models declare for it (the others are the same word)."""

RESULT_COLUMNS = [
    "suite",
    "task",
    "group",
    "severity",
    "order",
    "method",
    "image_id",
    "metric",
    "value",
    "status",
    "error",
    "conditioning",
]
NA_PREFIX = "n/a: "
"""Starts the recorded error of an image its method could not be given the conditioning it needs."""


@dataclass
class Method:
    """A method to benchmark: ``loader()`` returns its restore function (called only when there is work).

    ``tasks``: the degradation kinds it handles (``all`` for every task). ``unavailable``: why it cannot run
    here (shown as ``n/a: <reason>`` in the leaderboard), or None. ``inputs``: the registry's extra inputs
    (see :mod:`benchmark.conditioning`); ``detector`` names degradations for ``prompt: detector``.
    """

    name: str
    loader: Callable[[], RestoreFn] | None = None
    tasks: tuple[str, ...] = ("all",)
    unavailable: str | None = None
    family: str = ""
    fingerprint: str = ""
    """Names the method's configuration (registry entry: args, weight hashes) in its cache folder."""
    inputs: dict = field(default_factory=dict)
    detector: Detector | None = field(default=None, repr=False)
    _fn: RestoreFn | None = field(default=None, repr=False)

    @property
    def key(self) -> str:
        """Cache folder name: the method name, plus its fingerprint when it has one."""
        return f"{self.name}-{self.fingerprint}" if self.fingerprint else self.name

    def applies_to(self, task: Task, match_tasks: bool = True) -> bool:
        """True when the method should run on ``task`` (any shared kind, or ``all``, or matching disabled)."""
        if not match_tasks or "all" in self.tasks:
            return True
        kinds = {OP_FAMILY_TO_TASK.get(k, k) for k in task.kinds}
        return bool(kinds & set(self.tasks))

    def conditioning(self, task: Task, item: Item, img: np.ndarray) -> Conditioning:
        """What image ``img`` (``item`` of ``task``) is given besides itself; ConditionUnavailable if it cannot be."""
        return condition(self.inputs, task, item, img, self.detector) if self.inputs else Conditioning()

    @property
    def loaded(self) -> bool:
        """True once :meth:`load` has succeeded."""
        return self._fn is not None

    def load(self) -> RestoreFn:
        """The restore function, loaded on first use (the loader's errors propagate)."""
        if self._fn is None:
            if self.loader is None:
                raise RestoreBenchError(f"{self.name}: no loader given")
            self._fn = self.loader()
        return self._fn


def method_fingerprint(info: ModelInfo) -> str:
    """8 hex digits of the sha256 of a registry entry, of every entry its ``args`` name and, for a method
    conditioned through the detector (:func:`benchmark.conditioning.uses_detector`), of
    :data:`~benchmark.conditioning.CONDITIONING_DETECTOR`'s entry: a composite method (``auto`` runs a detector)
    or a conditioned one gets a new cache key when what it runs or is given is retrained."""
    import models

    names = [v for v in info.args.values() if isinstance(v, str) and v in models.entries()]
    names += [CONDITIONING_DETECTOR] if uses_detector(info.inputs, info.name) else []
    named = [models.info(v).to_dict() for v in names]
    payload = [info.to_dict(), *named] if named else info.to_dict()
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:8]


def registry_methods(names: list[str], device: str = "cpu", detector: Detector | None = None) -> list[Method]:
    """Methods of the model registry by name, with availability checked without loading anything.

    ``detector`` gives the prompts of methods declaring ``inputs: {prompt: detector}`` and the estimated
    instructions of real images (default: :data:`CONDITIONING_DETECTOR`, loaded when first needed).
    """
    import models

    detector = detector if detector is not None else conditioning_detector(device)
    out = []
    for name in names:
        info = models.info(name)
        ok, reason = models.availability(name)

        def loader(name: str = name) -> RestoreFn:
            return models.load(name, device=device).restore_image

        out.append(
            Method(
                name=name,
                loader=loader,
                tasks=tuple(info.tasks),
                family=info.family,
                unavailable=None if ok else reason,
                fingerprint=method_fingerprint(info),
                inputs=dict(info.inputs),
                detector=detector,
            )
        )
    return out


@dataclass
class RunResult:
    """What a run produced: per-image results, method status, timings (seconds) and the data hash."""

    suite: Suite
    results: pd.DataFrame
    status: dict[str, str | None]
    timings: dict[str, float]
    counts: dict[str, int]
    data_hash: str
    data: dict[str, TaskData]
    work_dir: Path
    restore_seconds: dict[str, tuple[float, int]] = field(default_factory=dict)
    """method -> (seconds, images) of all its restorations so far (this and earlier runs)."""
    metric_status: dict[str, str | None] = field(default_factory=dict)
    """metric -> None (scored) or why it could not run here."""

    def metrics(self, task: Task | None = None) -> list[str]:
        """Metrics actually scored (on ``task``, or on any task), in suite order."""
        tasks = [task] if task is not None else list(self.suite.tasks)
        names = dict.fromkeys(m for t in tasks for m in self.suite.metrics_for(t))
        return [m for m in names if self.metric_status.get(m) is None]

    method_keys: dict[str, str] = field(default_factory=dict)
    """method name -> its cache folder name (:attr:`Method.key`)."""
    device: str = "cpu"
    """The device methods restored and metrics scored on (the s/img column's)."""
    conditioning: dict[str, str] = field(default_factory=dict)
    """method -> what its images are given besides themselves ("" for the image alone)."""

    def restored_dir(self, method: str, task: str) -> Path:
        """The folder of ``method``'s restored images of ``task``."""
        return restored_dir(self.work_dir, self.method_keys.get(method, method), self.data[task])

    def output_path(self, method: str, task: str, image_id: str) -> Path:
        """Where ``method``'s restored image ``image_id`` of ``task`` is (may not exist: error, n/a)."""
        return self.restored_dir(method, task) / f"{image_id}.png"


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def restore_task(
    method: Method,
    td: TaskData,
    folder: Path,
    retry_failed: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Restore the pending images of a task with ``method`` into ``folder``; returns how many ran.

    An exception on one image is written to ``<id>.error.json`` and the loop goes on; so is the reason an image
    cannot get the conditioning its method needs (starting ``n/a: ``). The method is loaded only when
    something is pending; a load failure propagates for the caller to mark the method n/a.
    """
    todo = pending(td, folder, retry_failed)
    if progress:
        progress(len(td.items) - len(todo))
    if not todo:
        return 0
    fn = method.load()
    for item in todo:
        out, err = folder / f"{item.image_id}.png", folder / f"{item.image_id}.error.json"
        img = read_image(item.input, convert=True)
        try:
            cond = method.conditioning(td.task, item, img)
        except ConditionUnavailable as exc:
            write_text_atomic(err, json.dumps({"id": item.image_id, "error": NA_PREFIX + str(exc)}))
            if progress:
                progress(1)
            continue
        t0 = time.perf_counter()
        try:
            y = fn(img, **cond.kwargs)
            check_image(y, f"{method.name} output")
            if y.shape != img.shape:
                raise RestoreBenchError(f"output shape {y.shape} differs from the input's {img.shape}")
        except Exception as exc:  # noqa: BLE001 - a method failing on one image must not stop the run
            write_text_atomic(err, json.dumps({"id": item.image_id, "error": _error_text(exc)}))
        else:
            seconds = time.perf_counter() - t0
            write_image(out, y)
            err.unlink(missing_ok=True)
            append_jsonl(folder / "times.jsonl", {"id": item.image_id, "seconds": round(seconds, 6)})
            if cond.record:
                append_jsonl(folder / "conditioning.jsonl", {"id": item.image_id, "conditioning": cond.record})
        if progress:
            progress(1)
    return len(todo)


def run_suite(
    suite: Suite,
    methods: list[Method],
    work_dir: Path | None = None,
    cache_dir: Path | None = None,
    scorer: Scorer | None = None,
    device: str = "cpu",
    retry_failed: bool = False,
    quiet: bool = False,
    metric_status: dict[str, str | None] | None = None,
    engine: Engine | None = None,
    chunk: int = 16,
) -> RunResult:
    """Run ``methods`` on ``suite``: prepare data, restore (cached), score (cached); no report written here.

    ``scorer`` defaults to the metrics harness on ``device``; ``metric_status`` (metric -> None or why it
    cannot run) defaults to the metric registry's availability with the harness and to all-usable otherwise.
    Metrics that cannot run are left out of the scores and named in the report. A non-serial ``engine``
    restores and scores chunks of ``chunk`` images as tasks first (:mod:`benchmark.engine_run`).
    """
    work_dir = Path(work_dir) if work_dir else default_work_dir(suite.name)
    all_metrics = list(dict.fromkeys(m for t in suite.tasks for m in suite.metrics_for(t)))
    if metric_status is None:
        metric_status = metric_availability(all_metrics) if scorer is None else dict.fromkeys(all_metrics)
    run = _Run(suite, work_dir, retry_failed, quiet, {m.name: m.unavailable for m in methods})
    t0 = time.perf_counter()
    data = prepare_suite(suite, cache_dir, quiet)
    run.timings["generate"] = time.perf_counter() - t0
    run.counts["generated"] = sum(td.generated for td in data.values())
    scorer = scorer or harness_scorer(device)
    if engine is not None and engine.kind != "serial":
        from benchmark.engine_run import run_on_engine

        run_on_engine(run, methods, data, scorer, metric_status, engine, chunk)
    run.restore_all(methods, data)
    rows = run.score_all(methods, data, scorer, metric_status)
    results = pd.DataFrame(rows, columns=RESULT_COLUMNS).astype({"severity": "Int64"})
    run.timings["total"] = time.perf_counter() - t0
    digests = {name: td.content for name, td in data.items()}
    return RunResult(
        suite,
        results,
        run.status,
        run.timings,
        run.counts,
        suite_digest(digests),
        data,
        work_dir,
        run.restore_seconds,
        metric_status,
        {m.name: m.key for m in methods},
        device,
        {m.name: describe(m.inputs) for m in methods},
    )


@dataclass
class _Run:
    """The state of one run between its phases: method status, timings, counts, restore seconds."""

    suite: Suite
    work_dir: Path
    retry_failed: bool
    quiet: bool
    status: dict[str, str | None]
    timings: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("generate", "load", "restore", "score"), 0.0)
    )
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("generated", "restored", "scored"), 0)
    )
    restore_seconds: dict[str, tuple[float, int]] = field(default_factory=dict)

    def jobs(self, methods: list[Method], data: dict[str, TaskData]):
        """(method, task data, restored folder) of every runnable method on every task it applies to."""
        for m in methods:
            for task in self.suite.tasks:
                if self.status[m.name] is None and m.applies_to(task, self.suite.match_tasks):
                    td = data[task.name]
                    yield m, td, restored_dir(self.work_dir, m.key, td)

    def score_cache(self, m: Method, td: TaskData) -> Path:
        """The parquet file of ``m``'s scores on task ``td``."""
        return score_path(self.work_dir, self.suite.protocol, m.key, td)

    def usable_metrics(self, td: TaskData, metric_status: dict[str, str | None]) -> tuple[str, ...]:
        """The suite's metrics for ``td``'s task that can run here."""
        return tuple(x for x in self.suite.metrics_for(td.task) if metric_status.get(x) is None)

    def restore_all(self, methods: list[Method], data: dict[str, TaskData]) -> None:
        """Restore every pending image; a method whose loader fails becomes n/a (its reason in ``status``)."""
        from tqdm import tqdm

        total = sum(len(td.items) for _, td, _ in self.jobs(methods, data))
        with tqdm(total=total, desc=f"{self.suite.name}: restore", unit="img", disable=self.quiet) as bar:
            for m, td, folder in self.jobs(methods, data):
                folder.mkdir(parents=True, exist_ok=True)
                if not m.loaded and pending(td, folder, self.retry_failed):
                    t1 = time.perf_counter()
                    try:
                        m.load()
                    except Exception as exc:  # noqa: BLE001 - the loader failed: weights, license, dependency
                        self.status[m.name] = _error_text(exc)
                        continue
                    finally:
                        self.timings["load"] += time.perf_counter() - t1
                t1 = time.perf_counter()
                self.counts["restored"] += restore_task(m, td, folder, self.retry_failed, bar.update)
                self.timings["restore"] += time.perf_counter() - t1
                times = read_times(folder / "times.jsonl")
                secs, n = self.restore_seconds.get(m.name, (0.0, 0))
                self.restore_seconds[m.name] = (secs + sum(times.values()), n + len(times))

    def score_all(
        self,
        methods: list[Method],
        data: dict[str, TaskData],
        scorer: Scorer,
        metric_status: dict[str, str | None],
    ) -> list[dict]:
        """Score every restored image with the usable metrics; returns the per-image result rows."""
        from tqdm import tqdm

        rows: list[dict] = []
        jobs = list(self.jobs(methods, data))
        for m, td, folder in tqdm(jobs, desc=f"{self.suite.name}: score", unit="task", disable=self.quiet):
            task = td.task
            cache, usable = self.score_cache(m, td), self.usable_metrics(td, metric_status)
            t1 = time.perf_counter()
            scores, n = score_task(td, folder, usable, self.suite.protocol, scorer, cache)
            self.timings["score"] += time.perf_counter() - t1
            self.counts["scored"] += n
            given = image_conditioning(folder)
            base = {
                "suite": self.suite.name,
                "task": task.name,
                "group": task.group,
                "severity": task.severity,
                "order": task.order,
                "method": m.name,
            }
            rows += [
                {
                    **base,
                    "image_id": r.image_id,
                    "metric": r.metric,
                    "value": float(r.value),
                    "status": "ok" if np.isfinite(r.value) else "error",
                    "error": "" if np.isfinite(r.value) else f"scoring: {r.note}",
                    "conditioning": given.get(r.image_id, ""),
                }
                for r in scores.itertuples()
            ]
            rows += [
                {
                    **base,
                    "image_id": iid,
                    "metric": "",
                    "value": float("nan"),
                    "status": "n/a" if msg.startswith(NA_PREFIX) else "error",
                    "error": msg,
                    "conditioning": given.get(iid, ""),
                }
                for iid, msg in image_errors(td, folder).items()
            ]
        return rows
