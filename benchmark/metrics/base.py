"""Metric base classes (torchmetrics-style ``update``/``compute``/``reset``) and the metric registry.

Every metric scores batches of same-size images, Nx3xHxW float tensors in [0,1] on any device:

- :class:`ImageMetric` (kind ``"fr"`` full-reference or ``"nr"`` no-reference): ``score(pred, gt)`` returns
  one float64 value per image; ``update`` collects them and ``compute`` returns their mean.
- :class:`SetMetric` (kind ``"dist"``): ``update(pred, gt)`` streams both sets into running statistics and
  ``compute`` returns one value for the pair of sets (FID, KID).

Adding a metric is one decorated factory: ``@register_metric("name", kind=..., higher_is_better=...,
weights=[WeightFile(...)])`` on a class whose constructor takes ``(protocol, device, **options)``, in any
module of ``benchmark/metrics/`` (found without an import list) or in another package's module named in
the entry-point group ``restorebench.metrics``.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from benchmark.protocols import Protocol, get_protocol, prepare
from restorebench import weights as rw
from restorebench.errors import InputError
from restorebench.registry import Registry, import_submodules

KINDS = ("fr", "nr", "dist")
PRECISIONS = ("fp32", "tf32", "bf16", "fp16")
"""Network precisions: ``fp32`` strict float32 (cuDNN TF32 off), ``tf32`` (PyTorch's default for CUDA
convolutions, also pyiqa's), ``bf16`` and ``fp16`` (autocast to bfloat16 / float16: the same tensor-core
rate on recent GPUs; float16 keeps 3 more mantissa bits, bfloat16 a float32-wide exponent). fp32 and
tf32 differ on CUDA only; the autocast modes run on the CPU too (emulated there, slowly)."""
AUTOCAST = {"bf16": torch.bfloat16, "fp16": torch.float16}
"""Autocast dtype of each reduced precision."""


def check_precision(precision: str) -> str:
    """``precision`` if it is one of PRECISIONS, else a one-line InputError."""
    if precision not in PRECISIONS:
        raise InputError(f"precision {precision!r}: choose one of {', '.join(PRECISIONS)}")
    return precision


@contextlib.contextmanager
def precision_context(device: torch.device, precision: str) -> Iterator[None]:
    """Run a network under ``precision`` on ``device`` (see PRECISIONS)."""
    flags = (
        torch.backends.cudnn.flags(enabled=True, allow_tf32=precision != "fp32")
        if device.type == "cuda"
        else contextlib.nullcontext()
    )
    dtype = AUTOCAST.get(precision, torch.bfloat16)
    with flags, torch.autocast(device.type, dtype=dtype, enabled=precision in AUTOCAST):
        yield


class Metric(ABC):
    """Common state of a metric: its protocol and device; subclasses define reset, update and compute."""

    name: str = ""
    kind: str = ""
    higher_is_better: bool = True

    def __init__(self, protocol: str | Protocol = "basicsr", device: str | torch.device = "cpu") -> None:
        self.protocol = get_protocol(protocol)
        self.device = torch.device(device)

    @abstractmethod
    def reset(self) -> None:
        """Forget everything seen by ``update``."""

    @abstractmethod
    def update(self, pred: torch.Tensor, gt: torch.Tensor | None = None) -> None:
        """Add a batch (Nx3xHxW in [0,1]; ``gt`` for full-reference and distribution metrics)."""

    @abstractmethod
    def compute(self) -> float:
        """The metric over everything seen since the last reset."""


class ImageMetric(Metric):
    """A per-image metric; subclasses define :meth:`score_prepared` on protocol-prepared float64 batches."""

    def __init__(self, protocol: str | Protocol = "basicsr", device: str | torch.device = "cpu") -> None:
        super().__init__(protocol, device)
        self._values: list[torch.Tensor] = []

    def check_pair(self, pred: torch.Tensor, gt: torch.Tensor | None) -> None:
        """InputError unless a full-reference metric has a ground truth of pred's shape."""
        if self.kind == "fr":
            if gt is None:
                raise InputError(f"{self.name} is full-reference: pass the ground-truth batch too")
            if pred.shape != gt.shape:
                raise InputError(
                    f"{self.name}: pred {tuple(pred.shape)} and gt {tuple(gt.shape)} differ in shape"
                )

    cpu_chunk: int | None = None
    """On the CPU, score batches this many images at a time (None: whole): per-image temporaries (float64 maps,
    full-resolution feature maps) then stay in the caches, so a batch is never slower than a loop over its
    images."""

    def score(self, pred: torch.Tensor, gt: torch.Tensor | None = None) -> torch.Tensor:
        """Per-image values (N float64, on the CPU) of a batch; prepares it with the protocol first."""
        self.check_pair(pred, gt)
        step = self.cpu_chunk if self.device.type == "cpu" and self.cpu_chunk else max(len(pred), 1)
        return torch.cat([self._score_chunk(pred[i:i + step], None if gt is None else gt[i:i + step])
                          for i in range(0, max(len(pred), 1), step)])

    def _score_chunk(self, pred: torch.Tensor, gt: torch.Tensor | None) -> torch.Tensor:
        if self.kind == "fr":
            gt = prepare(gt.to(self.device), self.protocol)
        with torch.no_grad():
            out = self.score_prepared(prepare(pred.to(self.device), self.protocol), gt)
        return out.detach().to("cpu", torch.float64).reshape(-1)

    @abstractmethod
    def score_prepared(self, pred: torch.Tensor, gt: torch.Tensor | None) -> torch.Tensor:
        """Per-image values (N) of batches already prepared by the protocol (float64 in [0,1])."""

    def reset(self) -> None:
        self._values = []

    def update(self, pred: torch.Tensor, gt: torch.Tensor | None = None) -> None:
        self._values.append(self.score(pred, gt))

    def values(self) -> torch.Tensor:
        """All per-image values seen since the last reset (float64, CPU)."""
        return torch.cat(self._values) if self._values else torch.zeros(0, dtype=torch.float64)

    def compute(self) -> float:
        v = self.values()
        if v.numel() == 0:
            raise InputError(f"{self.name}: compute() before any update()")
        return float(v.mean())


class SetMetric(Metric):
    """A distribution metric between the set of predictions and the set of references."""

    kind = "dist"


@dataclass(frozen=True)
class MetricSpec:
    """Registry entry: how to build a metric and what it needs."""

    name: str
    kind: str
    higher_is_better: bool
    factory: Callable[..., Metric]
    weights: tuple[rw.WeightFile, ...] = ()
    description: str = ""
    alternatives: tuple[tuple[rw.WeightFile, ...], ...] = ()
    """Groups of files: of each group any one is enough (the first present is used), besides every file of
    ``weights``."""
    options: dict = field(default_factory=dict, compare=False)
    """Keyword arguments passed to the factory (one class can back several named variants)."""

    def build(
        self, protocol: str | Protocol = "basicsr", device: str | torch.device = "cpu", **kwargs
    ) -> Metric:
        """An instance of the metric named ``self.name``."""
        metric = self.factory(protocol=protocol, device=device, **{**self.options, **kwargs})
        metric.name = self.name
        return metric


METRICS: Registry[MetricSpec] = Registry("metric", discover=lambda: import_submodules("benchmark.metrics"))
"""Metric specs by name: every module of ``benchmark/metrics/`` and the modules named in the entry-point
group ``restorebench.metrics`` register theirs on import."""


def register_metric(
    name: str,
    kind: str,
    higher_is_better: bool,
    weights: tuple[rw.WeightFile, ...] = (),
    description: str = "",
    alternatives: tuple[tuple[rw.WeightFile, ...], ...] = (),
    options: dict | None = None,
) -> Callable[[type[Metric]], type[Metric]]:
    """Class decorator: register a Metric subclass under ``name`` (stackable, with ``options`` per name)."""
    if kind not in KINDS:
        raise ValueError(f"metric {name!r}: kind {kind!r} not in {KINDS}")

    def deco(cls: type[Metric]) -> type[Metric]:
        METRICS.add(name, MetricSpec(
            name, kind, higher_is_better, cls, tuple(weights), description, tuple(map(tuple, alternatives)),
            dict(options or {}),
        ))
        cls.kind = kind
        cls.higher_is_better = higher_is_better
        return cls

    return deco


def spec(name: str) -> MetricSpec:
    """The registry entry of ``name``; unknown names raise InputError naming close ones."""
    return METRICS.get(name)


def registered(pattern: str = "*", **filters: Any) -> list[str]:
    """Registered metric names matching a shell ``pattern`` and field ``filters`` (e.g. ``kind="fr"``), sorted."""
    return METRICS.list(pattern, **filters)


def availability(s: MetricSpec) -> tuple[bool, str]:
    """(available, reason): every weight file present with the right sha256, and one file of each group of
    alternatives."""
    reasons = []
    for wf in s.weights:
        ok, why = rw.status(wf)
        if not ok:
            reasons.append(why)
    for group in s.alternatives:
        found = [rw.status(wf) for wf in group]
        if not any(ok for ok, _ in found):
            reasons.append(" or ".join(why for _, why in found))
    return (not reasons), ("; ".join(reasons) if reasons else "ok")
