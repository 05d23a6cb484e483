"""The Operator base class: one degradation with a schema, a severity table, sampling, and two paths.

* ``apply(img, params)``: one HxWx3 float32 RGB image in [0,1] (numpy, CPU) -> same shape, float32, [0,1].
* ``apply_batch(x, params_list)``: an Nx3xHxW float tensor on any device, one params dict per sample.
* ``sample(rng, severity=None, **ranges)``: a JSON-serializable params dict. ``severity`` (1..5) picks
  a row of the documented ``severities`` table (ImageNet-C style); keyword ranges override the
  defaults in ``ranges``. Stochastic operators (``stochastic = True``) get an integer ``seed`` from
  ``rng``; their random field is drawn from that seed alone, so ``apply(img, params)`` replays exactly.

Subclasses implement ``_apply`` and ``_apply_batch`` (already validated inputs) and declare ``schema``,
``ranges`` and ``severities``; the shared validation, sampling and dispatch live here once.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from degrade.clamp import clamp_unit
from degrade.cpu_batch import map_samples, takes_numpy_path
from degrade.params import Param, check_params, sample_value
from restorebench.errors import InputError
from restorebench.seeding import SEED_BOUND, draw_seed
from restorebench.validate import check_batch, check_image

SEED_PARAM = Param(int, 0, SEED_BOUND - 1, doc="seed of the random field")


class Operator:
    """Base class of degradation operators (see module docstring)."""

    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    stochastic: ClassVar[bool] = False
    schema: ClassVar[dict[str, Param]] = {}
    ranges: ClassVar[dict[str, Any]] = {}
    severities: ClassVar[dict[int, dict[str, Any]]] = {}
    clips_itself: ClassVar[bool] = False
    """True where ``_apply`` already returns float32 values in [0,1], so :meth:`apply` skips its clamp pass."""
    numpy_on_cpu: ClassVar[bool] = False
    """True where a CPU batch runs the numpy path on each sample instead of ``_apply_batch`` (the form of other
    devices), because it is faster there; ``_apply(img, params, out)`` then writes into ``out`` and takes
    channel-strided HxWx3 views (:func:`degrade.cpu_batch.map_samples`). The batch gives the numpy path's bytes."""

    @classmethod
    def full_schema(cls) -> dict[str, Param]:
        """The schema including ``seed`` for stochastic operators."""
        return {**cls.schema, "seed": SEED_PARAM} if cls.stochastic else dict(cls.schema)

    def check(self, params: dict) -> dict:
        """Validate ``params`` against the schema (raises InputError naming the operator)."""
        return check_params(self.name, self.full_schema(), params)

    def sample(self, rng: np.random.Generator, severity: int | None = None, **ranges: Any) -> dict:
        """Draw a params dict: from the severity table row, else from ``ranges`` over the defaults."""
        if severity is not None:
            if severity not in self.severities:
                raise InputError(f"{self.name}: severity {severity!r} outside {sorted(self.severities)}")
            specs = {**self.ranges, **self.severities[severity], **ranges}
        else:
            specs = {**self.ranges, **ranges}
        unknown = sorted(set(specs) - set(self.schema))
        if unknown:
            raise InputError(f"{self.name}: unknown parameter(s) {unknown}; expected {sorted(self.schema)}")
        params = {k: sample_value(rng, spec, self.schema[k], self.name, k) for k, spec in specs.items()}
        params = self._finish_sample(rng, params)
        if self.stochastic:
            params["seed"] = draw_seed(rng)
        return self.check(params)

    def _finish_sample(self, rng: np.random.Generator, params: dict) -> dict:
        """Hook for parameters derived from others (e.g. a kernel drawn from a length); default: none."""
        return params

    def apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        """Degrade one HxWx3 float32 [0,1] image; returns a new float32 array clipped to [0,1]."""
        return self.apply_valid(check_image(img, f"{self.name} input"), params)

    def apply_valid(self, img: np.ndarray, params: dict) -> np.ndarray:
        """:meth:`apply` for an image already known to be valid (another operator's output): no image check."""
        return self.apply_checked(img, self.check(params))

    def apply_checked(self, img: np.ndarray, params: dict) -> np.ndarray:
        """:meth:`apply` for a valid image and params this operator's :meth:`check` returned: no checks."""
        out = np.asarray(self._apply(img, params), np.float32)
        return out if self.clips_itself else clamp_unit(out)

    def apply_batch(self, x: Any, params: list[dict]) -> Any:
        """Degrade an Nx3xHxW float tensor (any device) with one params dict per sample."""
        return self.apply_batch_valid(check_batch(x, f"{self.name} batch"), params)

    def apply_batch_valid(self, x: Any, params: list[dict]) -> Any:
        """:meth:`apply_batch` for a batch already known to be valid (another operator's output): no tensor
        check, so no device synchronization on a GPU."""
        if len(params) != x.shape[0]:
            raise InputError(f"{self.name}: {len(params)} params dicts for a batch of {x.shape[0]}")
        checked = [self.check(p) for p in params]
        if self.numpy_on_cpu and takes_numpy_path(x):
            return map_samples(x, lambda i, img, out: self._apply(img, checked[i], out)).clamp_(0.0, 1.0)
        return self._apply_batch(x, checked).clamp_(0.0, 1.0)

    def __call__(self, img: np.ndarray, rng: np.random.Generator, severity: int | None = None, **ranges: Any):
        """Sample params and apply them: returns (degraded image, params)."""
        params = self.sample(rng, severity, **ranges)
        return self.apply_checked(check_image(img, f"{self.name} input"), params), params

    def footprint(self, h: int, w: int, params: dict) -> np.ndarray | None:
        """The pixels a local operator marks on an HxW image with ``params`` (HxW float32 coverage in [0,1],
        e.g. the drops of ``rain.drops``); None for an operator that acts on every pixel."""
        return None

    def _apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        raise NotImplementedError

    def _apply_batch(self, x: Any, params: list[dict]) -> Any:
        raise NotImplementedError
