"""Size and cost of learned methods for the leaderboard: parameter count and multiply-accumulates (MACs) of one
restoration of a 1x3xSIZExSIZE image (SIZE 256; a conditioned method gets neutral conditioning), counted by
``torch.utils.flop_counter.FlopCounterMode`` (MACs = counted FLOPs / 2; convolutions, matrix products and
attention, not element-wise operations), measured once per method configuration and cached as
``complexity/<method key>.json`` in the run's work folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from restorebench.atomic import write_text_atomic

SIZE = 256
"""Side in pixels of the square input the MACs are counted on."""


def probe_conditioning(info: Any) -> dict[str, Any]:
    """The conditioning a method's registry ``inputs`` declare, as neutral stand-ins for counting its cost: a
    mid-gray 1x3 instruction at the size suites draw it (:func:`models.inputs.instruction_spec`) and a one-word
    prompt."""
    from models.inputs import instruction_spec

    cond: dict[str, Any] = {}
    spec = instruction_spec(info.inputs)
    if spec is not None:
        cond["instruction"] = torch.full((1, 3, spec["size"], spec["size"]), 0.5)
    if info.accepts_prompt:
        cond["prompt"] = ["noise"]
    return cond


def measure(restorer: Any, size: int = SIZE) -> dict[str, int]:
    """``{"params", "macs"}`` of a restorer holding a torch ``module`` (``models.network.NetworkRestorer``):
    its parameter count and the MACs of one call on a seeded 1x3x``size``x``size`` image in [0,1], with
    :func:`probe_conditioning` for a method that takes an instruction or a prompt."""
    from torch.utils.flop_counter import FlopCounterMode

    params = sum(p.numel() for p in restorer.module.parameters())
    x = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    with FlopCounterMode(display=False) as counter:
        restorer(x, **probe_conditioning(restorer.info))
    return {"params": int(params), "macs": int(counter.get_total_flops() // 2)}


def method_complexity(name: str, key: str, work_dir: Path) -> dict[str, int] | None:
    """Parameters and MACs of registry method ``name`` (cached under ``work_dir/complexity/<key>.json``), or
    None for a method without a torch network (classical), one whose network fails on the probe input or one
    not in the registry."""
    import models

    if name not in models.list_models() or models.info(name).family == "classical":
        return None
    cache = Path(work_dir) / "complexity" / f"{key}.json"
    if cache.is_file():
        return json.loads(cache.read_text()) or None
    restorer = models.load(name, device="cpu")
    found = {}
    if isinstance(getattr(restorer, "module", None), torch.nn.Module):
        try:
            found = measure(restorer)
        except Exception:  # noqa: BLE001 - a network that fails on the probe input is not measured
            found = {}
    write_text_atomic(cache, json.dumps(found))
    return found or None


def format_count(n: float) -> str:
    """A count with a k/M/G/T suffix and 3 significant digits (``1.23 M``)."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f}"
