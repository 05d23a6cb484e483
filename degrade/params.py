"""Parameter schemas: validation of applied params and sampling of params from ranges.

A schema maps each parameter name to a :class:`Param`. Applied params are plain JSON dicts; the
schema checks their names, types and bounds before an operator runs (albumentations-style validated
constructors, but on data). Sampling specs for a parameter are: a scalar (fixed), a 2-list/tuple
``[lo, hi]`` (uniform, integers inclusive), or ``{"choice": [...]}``; ``{"log": [lo, hi]}`` samples
log-uniformly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from restorebench.errors import InputError


@dataclass(frozen=True)
class Param:
    """One parameter: ``kind`` (float, int, bool, str, list), inclusive bounds, choices, doc with units."""

    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None
    doc: str = ""
    optional: bool = False

    def check(self, op: str, name: str, value: Any) -> Any:
        """Return ``value`` (ints accepted for floats) or raise a one-line InputError."""
        if value is None and self.optional:
            return value
        if self.kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = float(value)
        ok_type = isinstance(value, self.kind) and not (self.kind is int and isinstance(value, bool))
        if not ok_type:
            raise InputError(f"{op}: parameter {name}={value!r} must be {self.kind.__name__} ({self.doc})")
        if self.kind in (int, float):
            if not math.isfinite(value):
                raise InputError(f"{op}: parameter {name}={value!r} must be finite")
            if self.low is not None and value < self.low:
                raise InputError(f"{op}: parameter {name}={value!r} is below its minimum {self.low} ({self.doc})")
            if self.high is not None and value > self.high:
                raise InputError(f"{op}: parameter {name}={value!r} is above its maximum {self.high} ({self.doc})")
        if self.choices is not None and value not in self.choices:
            raise InputError(f"{op}: parameter {name}={value!r} must be one of {list(self.choices)}")
        return value


def check_params(op: str, schema: dict[str, Param], params: dict) -> dict:
    """Validate a params dict against ``schema``: unknown or missing names and bad values raise InputError."""
    if not isinstance(params, dict):
        raise InputError(f"{op}: params must be a dict, got {type(params).__name__}")
    unknown = sorted(set(params) - set(schema))
    if unknown:
        raise InputError(f"{op}: unknown parameter(s) {unknown}; expected {sorted(schema)}")
    missing = sorted(k for k, p in schema.items() if k not in params and not p.optional)
    if missing:
        raise InputError(f"{op}: missing parameter(s) {missing}")
    return {k: schema[k].check(op, k, v) for k, v in params.items()}


def sample_value(rng: np.random.Generator, spec: Any, param: Param, op: str = "", name: str = "") -> Any:
    """Draw one value from a sampling spec (scalar, [lo, hi], {"choice": [...]}, {"log": [lo, hi]}).

    Range endpoints and choices are checked against ``param`` first, so a range reaching below a
    parameter's minimum fails at once instead of only on the draws that land there.
    """
    for endpoint in _endpoints(spec, param):
        param.check(op, name, endpoint)
    if isinstance(spec, dict):
        if "choice" in spec:
            options = list(spec["choice"])
            return _plain(options[int(rng.integers(len(options)))])
        if "log" in spec:
            lo, hi = spec["log"]
            return _cast(math.exp(rng.uniform(math.log(lo), math.log(hi))), param)
        raise InputError(f"sampling spec {spec!r}: use a value, [lo, hi], {{'choice': [...]}} or {{'log': [lo, hi]}}")
    if isinstance(spec, (list, tuple)) and param.kind is not list:
        if len(spec) != 2:
            raise InputError(f"sampling range {spec!r}: expected [lo, hi]")
        lo, hi = spec
        if lo > hi:
            raise InputError(f"sampling range {spec!r}: lo > hi")
        if param.kind is int:
            return int(rng.integers(int(lo), int(hi) + 1))
        return float(rng.uniform(lo, hi))
    return _plain(spec)


def _endpoints(spec: Any, param: Param) -> list:
    if isinstance(spec, dict):
        return list(spec.get("choice", spec.get("log", [])))
    if isinstance(spec, (list, tuple)) and param.kind is not list:
        return list(spec)
    return []


def _cast(value: float, param: Param) -> Any:
    return int(round(value)) if param.kind is int else float(value)


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars so params stay JSON-serializable."""
    return value.item() if isinstance(value, np.generic) else value
