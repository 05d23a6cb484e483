"""Recipe specs: what to sample (operators, severities or ranges, order policy), separate from recipes.

A spec is a dict. A leaf names one operator::

    {"op": "noise.gaussian", "severity": 3}                  # a row of the severity table
    {"op": "noise.gaussian", "severity": [1, 5]}             # a severity drawn uniformly from 1..5
    {"op": "noise.gaussian", "ranges": {"sigma": [15, 50]}}   # explicit sampling ranges
    {"op": "noise.gaussian", "params": {"sigma": 25}}         # fixed values (seed still drawn)

A node combines children ("items") under a policy:

* ``chain``: every item, in the given order; ``{"policy": "chain", "items": []}`` (:data:`CLEAN`) applies no
  operator: the sample is its clean image (e.g. the ``clean`` class of a degradation detector's corpus);
* ``shuffle``: every item, in a random order;
* ``one_of``: one item, chosen with optional ``weights``;
* ``subset``: each item kept with probability ``p`` (a number or one per item), in order;
  ``min``/``max`` bound how many are kept (at least ``min`` guaranteed by re-drawing);
* ``some_of``: between ``min`` and ``max`` items drawn without replacement, in random order.

``all_orders(items)`` expands a set of leaves into the chains of every permutation (the
rain/snow/noise six-order stress set).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from degrade.params import Param, sample_value
from degrade.recipe import Recipe, Step
from degrade.registry import get
from restorebench.errors import InputError
from restorebench.seeding import sample_rng

POLICIES = ("chain", "shuffle", "one_of", "subset", "some_of")
CLEAN = {"policy": "chain", "items": []}
"""The spec of no degradation: an empty chain."""
SEVERITY = Param(int, 1, 5, doc="severity level")


NODE_KEYS = {"chain": set(), "shuffle": set(), "one_of": {"weights"}, "subset": {"p", "min", "max"},
             "some_of": {"min", "max"}}
"""Keys each policy takes besides ``policy`` and ``items``."""


def validate_spec(spec: Any, where: str = "spec") -> None:
    """Raise InputError if ``spec`` is malformed: unknown operator, policy, key, severity or parameter name, a
    parameter value or range outside its operator's schema, or policy bounds no draw can satisfy."""
    if not isinstance(spec, dict):
        raise InputError(f"{where}: expected a mapping, got {type(spec).__name__}")
    if "op" in spec:
        _validate_leaf(spec, where)
        return
    policy = spec.get("policy", "chain")
    if policy not in POLICIES:
        raise InputError(f"{where}: unknown policy {policy!r}; use one of {POLICIES}")
    extra = set(spec) - {"policy", "items"} - NODE_KEYS[policy]
    if extra:
        raise InputError(f"{where}: key(s) {sorted(extra)} do not apply to policy {policy}")
    items = spec.get("items")
    if not isinstance(items, list) or (not items and policy != "chain"):
        raise InputError(f"{where}: policy {policy} needs a non-empty 'items' list (only a chain may be empty: "
                         f"no degradation)")
    for i, item in enumerate(items):
        validate_spec(item, f"{where}.items[{i}]")
    n = len(items)
    try:
        if policy == "one_of":
            _normalized(spec.get("weights"), n)
        elif policy == "subset":
            _subset_bounds(spec, n)
        elif policy == "some_of":
            _some_of_bounds(spec, n)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _validate_leaf(spec: dict, where: str) -> None:
    extra = set(spec) - {"op", "severity", "ranges", "params"}
    if extra:
        raise InputError(f"{where}: unknown key(s) {sorted(extra)} in operator leaf")
    op = get(spec["op"])
    sev = spec.get("severity")
    levels = sev if isinstance(sev, list) else sev.get("choice") if isinstance(sev, dict) else [sev]
    if sev is not None and not all(isinstance(v, int) and v in op.severities for v in levels or [None]):
        raise InputError(f"{where}: {op.name} severity {sev!r}: use an int, [lo, hi] or {{choice: [...]}} "
                         f"within {sorted(op.severities)}")
    for key in ("ranges", "params"):
        if not isinstance(spec.get(key, {}), dict):
            raise InputError(f"{where}: {key} must be a mapping of parameter names, got {spec[key]!r}")
    if isinstance(sev, list):
        if len(sev) != 2:
            raise InputError(f"{where}: {op.name} severity {sev!r}: a range is [lo, hi]")
        levels = range(sev[0], sev[1] + 1)
    # a trial draw at every severity the leaf can use checks names, values and range endpoints up front
    for level in levels if sev is not None else [None]:
        try:
            op.sample(sample_rng(0, 0), level, **{**spec.get("ranges", {}), **spec.get("params", {})})
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None


_VALIDATED: set[str] = set()
"""``repr`` of the specs :func:`sample_recipe` has validated (bounded by VALIDATED_MAX)."""
VALIDATED_MAX = 1024


def sample_recipe(spec: dict, rng: np.random.Generator) -> Recipe:
    """Draw an applied recipe from ``spec`` with ``rng`` (deterministic for a given generator state); a spec is
    validated the first time it is seen, not once per draw."""
    key = repr(spec)
    if key not in _VALIDATED:
        validate_spec(spec)
        if len(_VALIDATED) < VALIDATED_MAX:
            _VALIDATED.add(key)
    return Recipe(tuple(_sample(spec, rng)), checked=True)


def _sample(spec: dict, rng: np.random.Generator) -> list[Step]:
    if "op" in spec:
        op = get(spec["op"])
        severity = spec.get("severity")
        if severity is not None:
            severity = sample_value(rng, severity, SEVERITY)
        params = op.sample(rng, severity, **{**spec.get("ranges", {}), **spec.get("params", {})})
        return [Step(op.name, params)]
    items = spec["items"]
    policy = spec.get("policy", "chain")
    n = len(items)
    if policy == "chain":
        order = list(range(n))
    elif policy == "shuffle":
        order = [int(i) for i in rng.permutation(n)]
    elif policy == "one_of":
        order = [int(rng.choice(n, p=_normalized(spec.get("weights"), n)))]
    elif policy == "subset":
        order = _subset(spec, rng, n)
    else:
        lo, hi = _some_of_bounds(spec, n)
        k = int(rng.integers(lo, hi + 1))
        order = [int(i) for i in rng.choice(n, size=k, replace=False)]
    steps: list[Step] = []
    for i in order:
        steps += _sample(items[i], rng)
    return steps


def _normalized(weights: Any, n: int) -> np.ndarray:
    try:
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    except (ValueError, TypeError):
        raise InputError(f"weights {weights!r}: need {n} non-negative numbers with a positive sum") from None
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise InputError(f"weights {weights!r}: need {n} non-negative numbers with a positive sum")
    return w / w.sum()


def _count(spec: dict, key: str, default: int) -> int:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{key}={value!r}: expected an integer")
    return value


def _subset_bounds(spec: dict, n: int) -> tuple[np.ndarray, int, int]:
    try:
        p = np.broadcast_to(np.asarray(spec.get("p", 0.5), dtype=np.float64), (n,))
    except (ValueError, TypeError):
        raise InputError(f"subset p={spec.get('p')!r}: expected a number or one per item") from None
    if not np.isfinite(p).all() or ((p < 0) | (p > 1)).any():
        raise InputError(f"subset p={spec.get('p')!r}: probabilities must lie in [0, 1]")
    lo, hi = _count(spec, "min", 0), _count(spec, "max", n)
    if not 0 <= lo <= hi <= n or (lo > 0 and (p == 0).sum() > n - lo):
        raise InputError(f"subset min={lo} max={hi}: impossible with {n} items and p={p.tolist()}")
    return p, lo, hi


def _some_of_bounds(spec: dict, n: int) -> tuple[int, int]:
    lo, hi = _count(spec, "min", 1), _count(spec, "max", n)
    if not 0 <= lo <= hi <= n:
        raise InputError(f"some_of min={lo} max={hi}: need 0 <= min <= max <= {n} (the number of items)")
    return lo, hi


def _subset(spec: dict, rng: np.random.Generator, n: int) -> list[int]:
    p, lo, hi = _subset_bounds(spec, n)
    for _ in range(10_000):
        keep = [i for i in range(n) if rng.random() < p[i]]
        if lo <= len(keep) <= hi:
            return keep
    raise InputError(f"subset min={lo} max={hi}: p={p.tolist()} almost never satisfies the bounds")


def spec_ops(spec: dict) -> list[str]:
    """Every operator name a recipe spec can apply (leaves of all policies)."""
    if "op" in spec:
        return [spec["op"]]
    return [op for item in spec.get("items", []) for op in spec_ops(item)]


def all_orders(items: list[dict]) -> list[dict]:
    """Chain specs for every permutation of ``items`` (n! specs, in lexicographic order of indices)."""
    for i, item in enumerate(items):
        validate_spec(item, f"items[{i}]")
    return [{"policy": "chain", "items": [items[i] for i in perm]} for perm in itertools.permutations(range(len(items)))]
