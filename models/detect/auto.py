"""``auto``: automatic restoration by a detect -> restore loop (AutoDIR's loop, with this project's detector).

Per image: detect; if the image is judged clean, or no degradation reaches ``min_probability``, stop; else
restore the most probable present degradation with its method from the method table
(``models.detect.table``: the first of the label's candidates that loads here) and detect again; stop when
clean, after ``max_steps`` restorations, or when no method applies. A method is never applied twice in a row
unless the detection changed in between (another dominant label, or the dominant severity down by at least
:data:`SEVERITY_STEP`): the loop then moves on to the next present label.
Labels without a candidate that loads are passed over (and said so in the log).

Every detection is logged, with what was decided: :class:`LoopStep` rows, one per detection, the last one
holding the reason the loop stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from degrade.labels import CLEAN
from models.detect.detector import DEFAULT_DETECTOR, Detection, Detector
from models.detect.table import load_table
from models.restorer import ModelInfo, Restorer
from restorebench.errors import InputError, RestoreBenchError

MAX_STEPS = 3
SEVERITY_STEP = 0.5
MIN_PROBABILITY = 0.0
"""Default ``min_probability``: the loop acts on the dominant degradation however low its probability."""


@dataclass
class LoopStep:
    """One detection of the loop: ``step`` (0 = the input), the detection's ``probabilities``, ``dominant``
    label and its ``severity``, the ``method`` applied for ``label`` (None when the loop stopped here), and
    ``note`` (why a label was passed over, or why the loop stopped)."""

    step: int
    probabilities: dict[str, float]
    dominant: str
    severity: float
    label: str | None = None
    method: str | None = None
    note: str = ""
    passed_over: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def changed(before: Detection, after: Detection) -> bool:
    """True when ``after`` differs from ``before`` where it matters for applying a method again: another
    dominant label, or the dominant severity lower by at least :data:`SEVERITY_STEP`. A label that appears or
    fades beside the dominant one (noise a low-light enhancer amplifies) is no reason to run the same method
    again: the loop moves on to that label instead."""
    return before.dominant != after.dominant or before.severity - after.severity >= SEVERITY_STEP


def first_usable(methods: list[str], usable: Callable[[str], str | None]) -> tuple[str | None, list[str]]:
    """(the first of ``methods`` that can run, why each one before it cannot); (None, reasons) when none can.
    ``usable(method)`` returns None when the method can run, else why not."""
    reasons = []
    for method in methods:
        why = usable(method)
        if not why:
            return method, reasons
        reasons.append(f"{method} unavailable ({why})")
    return None, reasons


def choose(found: Detection, table: dict[str, list[str]], usable: Callable[[str], str | None],
           previous: tuple[str, Detection] | None) -> tuple[str | None, str | None, list[str]]:
    """(label, method, passed-over reasons) for one detection; (None, None, reasons) when nothing applies.
    ``table``: label -> candidate methods, best first; ``usable`` as in :func:`first_usable`."""
    candidates = found.present or [found.dominant]
    passed = []
    for label in candidates:
        if not table.get(label):
            passed.append(f"{label}: no method in the table")
            continue
        method, reasons = first_usable(table[label], usable)
        passed += [f"{label}: {r}" for r in reasons]
        if method is None:
            continue
        if previous is not None and previous[0] == method and not changed(previous[1], found):
            passed.append(f"{label}: {method} was just applied and the detection did not change")
            continue
        return label, method, passed
    return None, None, passed


def restore_loop(x: Any, detect: Callable[[Any], Detection], table: dict[str, list[str]],
                 restorer: Callable[[str], Restorer], usable: Callable[[str], str | None],
                 max_steps: int = MAX_STEPS, min_probability: float = MIN_PROBABILITY) -> tuple[Any, list[LoopStep]]:
    """Run the loop on one 1x3xHxW image; returns (restored image, log). See the module docstring."""
    log: list[LoopStep] = []
    previous: tuple[str, Detection] | None = None
    for step in range(max_steps + 1):
        found = detect(x)
        row = LoopStep(step, found.probabilities, found.dominant, round(found.severity, 2))
        log.append(row)
        if found.dominant == CLEAN:
            row.note = "stop: judged clean"
            break
        if found.probabilities[found.dominant] < min_probability:
            row.note = f"stop: no degradation reaches probability {min_probability:g}"
            break
        if step == max_steps:
            row.note = f"stop: {max_steps} restoration steps done"
            break
        label, method, row.passed_over = choose(found, table, usable, previous)
        if method is None:
            row.note = "stop: no applicable method"
            break
        x = restorer(method)(x)
        row.label, row.method = label, method
        previous = (method, found)
    return x, log


class AutoRestorer(Restorer):
    """The ``auto`` registry entry: :func:`restore_loop` behind the Restorer interface.

    Options: ``detector`` (a detector registry entry), ``table`` (a method-table YAML path; None = the shipped
    one), ``max_steps`` (restorations per image, at least 1), ``min_probability`` (in [0, 1): the loop stops
    when the dominant degradation's probability is below it). After each call, ``last_logs`` holds one log (a
    list of :class:`LoopStep`) per image of the batch.
    """

    defaults: ClassVar[dict[str, Any]] = {"detector": DEFAULT_DETECTOR, "table": None, "max_steps": MAX_STEPS,
                                          "min_probability": MIN_PROBABILITY}

    def __init__(self, info: ModelInfo, device: Any = "cpu", tile: int | None = None, overlap: int | None = None,
                 **options: Any):
        super().__init__(info, device, tile, overlap)
        unknown = sorted(set(options) - set(self.defaults))
        if unknown:
            raise InputError(f"{info.name}: unknown option(s) {unknown}; expected {sorted(self.defaults)}")
        opts = {**self.defaults, **options}
        steps = opts["max_steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise InputError(f"{info.name}: max_steps={steps!r} must be an integer of at least 1")
        self.max_steps = steps
        floor = opts["min_probability"]
        if isinstance(floor, bool) or not isinstance(floor, (int, float)) or not 0 <= floor < 1:
            raise InputError(f"{info.name}: min_probability={floor!r} must be a number in [0, 1)")
        self.min_probability = float(floor)
        self.table = load_table(opts["table"])
        self.detector = Detector(opts["detector"], device=self.device)
        self._restorers: dict[str, Restorer] = {}
        self._unusable: dict[str, str] = {}
        self.last_logs: list[list[LoopStep]] = []

    @classmethod
    def available(cls, info: ModelInfo) -> tuple[bool, str]:
        """Runnable when the weights of the entry's detector are here (each label's method is checked when
        used)."""
        import models

        detector = info.args.get("detector", DEFAULT_DETECTOR)
        ok, why = models.availability(detector)
        return ok, f"detector {detector}: {why}"

    def to(self, device: Any) -> AutoRestorer:
        super().to(device)
        self.detector.module.to(self.device)
        self.detector.device = self.device
        for r in self._restorers.values():
            r.to(self.device)
        return self

    def _usable(self, method: str) -> str | None:
        import models

        if method not in self._unusable and method not in self._restorers:
            try:
                self._restorers[method] = models.load(method, device=self.device)
            except RestoreBenchError as exc:
                self._unusable[method] = " ".join(str(exc).split())[:200]
        return self._unusable.get(method)

    def forward(self, x: Any, **cond: Any) -> Any:
        import torch

        outs, self.last_logs = [], []
        for i in range(x.shape[0]):
            y, log = restore_loop(x[i:i + 1], lambda t: self.detector(t)[0], self.table, self._restorers.__getitem__,
                                  self._usable, self.max_steps, self.min_probability)
            outs.append(y)
            self.last_logs.append(log)
        return torch.cat(outs)
