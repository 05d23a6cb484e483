"""Every restoration method behind one interface.

    import models
    r = models.load("nlm")                         # or "dncnn-color-blind", device="cuda", tile=512, ...
    y = r(x)                                       # x: Nx3xHxW float in [0,1] -> same shape
    r.info.to_dict()                               # family, tasks, paper, licenses, weight files, size rules
    models.list_models("dncnn*", task="noise")     # names, timm-style filters
    models.availability("ffdnet-color")            # (True, path) or (False, why)

Methods are entries of ``registry.yaml`` (schema at its top): adding one is an adapter (a module
factory, a classical ImageRestorer subclass, or a Restorer subclass composing other entries) plus one entry. See docs/models.md.
"""

from __future__ import annotations

import os
from typing import Any

from models.network import NetworkRestorer, build_network, import_adapter
from models.registry import entries, get_info, list_models
from models.restorer import ACADEMIC_ENV, ImageRestorer, ModelInfo, Restorer, academic_allowed
from restorebench.errors import InputError, RestoreBenchError
from restorebench.weights import status

__all__ = [
    "ImageRestorer",
    "ModelInfo",
    "NetworkRestorer",
    "Restorer",
    "availability",
    "entries",
    "info",
    "list_models",
    "load",
]


def info(name: str) -> ModelInfo:
    """The registry entry of ``name`` (InputError with suggestions when unknown)."""
    return get_info(name)


def _opt_in_message(meta: ModelInfo) -> str:
    lic = meta.code.get("license", "non-commercial")
    return (f"{meta.name}: license '{lic}' is non-commercial; opt in with allow_academic=True or "
            f"{ACADEMIC_ENV}=1")


def _is_restorer_class(adapter: Any) -> bool:
    """True for an adapter that is a Restorer subclass (classical methods, and composite methods such as
    ``auto`` that run other entries), built as ``adapter(info, **args)`` rather than as a network."""
    return isinstance(adapter, type) and issubclass(adapter, Restorer)


def load(name: str, device: Any = "cpu", weights: str | os.PathLike | None = None, tile: int | None = None,
         overlap: int | None = None, allow_academic: bool | None = None, **options: Any) -> Restorer:
    """Build the restorer called ``name`` on ``device``.

    ``weights``: None = the registry's files (resolved, sha256 checked; WeightsUnavailable when missing),
    ``"random"`` = random initialization (learned entries; tests and timing), or a checkpoint path (loaded
    strictly). ``tile``/``overlap`` (pixels) enable overlap tiling. ``options`` override a classical
    method's registry ``args`` (e.g. ``sigma=25``) or, for networks, set ``noise_level`` (0-255) / ``half``.
    Non-commercial entries (``license_opt_in: academic``) need ``allow_academic=True`` or
    ``RESTOREBENCH_ACADEMIC=1``, except an architecture written in this project (``models.arch.*``) given a
    user's checkpoint path: there the opt-in guards only the registry's weight files.
    """
    meta = get_info(name)
    own_code_and_weights = meta.adapter.startswith("models.arch.") and weights not in (None, "random")
    if meta.license_opt_in and not own_code_and_weights and not academic_allowed(allow_academic):
        raise InputError(_opt_in_message(meta))
    if meta.family == "detector":
        raise InputError(f"{name}: a degradation detector, not a restorer; load it with "
                         f"models.detect.load_detector({name!r})")
    if meta.family == "stage":
        raise InputError(f"{name}: a training stage, not a restorer; its run's final.pth initializes the method's "
                         f"next stage (restorebench train --init RUN/final.pth; docs/training.md)")
    adapter = import_adapter(meta.adapter)
    if meta.family == "classical" or _is_restorer_class(adapter):
        if weights not in (None, "random"):
            raise InputError(f"{name}: a classical or composite method takes no weight file")
        if not _is_restorer_class(adapter):
            raise InputError(f"{name}: adapter {meta.adapter} is not a Restorer subclass")
        return adapter(meta, device=device, tile=tile, overlap=overlap, **{**meta.args, **options})
    unknown = sorted(set(options) - {"noise_level", "half"})
    if unknown:
        raise InputError(f"{name}: unknown option(s) {unknown}; networks take noise_level= and half=")
    return NetworkRestorer(meta, build_network(meta, weights), device=device, tile=tile, overlap=overlap, **options)


def availability(name: str, allow_academic: bool | None = None) -> tuple[bool, str]:
    """(runnable here with its official weights, reason) without building or downloading anything."""
    meta = get_info(name)
    if meta.license_opt_in and not academic_allowed(allow_academic):
        return False, _opt_in_message(meta)
    try:
        adapter = import_adapter(meta.adapter)
    except RestoreBenchError as exc:
        return False, str(exc)
    if meta.family == "classical" or _is_restorer_class(adapter):
        check = getattr(adapter, "available", None)
        return check(meta) if callable(check) else (True, "classical, no weights needed")
    if not meta.weights:
        return False, "weights unavailable: no official file recorded; use weights=PATH or weights='random'"
    reasons = []
    for wf in meta.weights:
        ok, why = status(wf)
        if not ok:
            return False, why
        reasons.append(why)
    return True, "; ".join(reasons)
