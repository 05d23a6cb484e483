"""Architectures implemented by spandrel (MIT) behind the registry's factory contract.

``spandrel_net(arch="NAFNet", **hparams)`` builds spandrel's class for ``arch`` with the official model's
hyper-parameters (the registry ``args``), so the official checkpoints load with strict key matching and a
state dict saved from the module is recognized by ``spandrel.ModelLoader`` (architecture detection). The
module returned is a subclass of spandrel's class that only replaces ``forward`` with the official test-time
calling convention, so parameter names are untouched:

* ``forward(x: Tensor[N,3,H,W] in [0,1], **cond) -> Tensor[N,3,H,W]``;
* DRUNet takes the noise level: ``sigma`` (N,) in [0,1] units becomes a fourth input channel (a constant map);
* FBCNN and MPRNet return several outputs; the restored image is the first;
* MixDehazeNet works in [-1, 1] (input ``2x - 1``, output ``(y + 1) / 2``), as in its authors' test code;
* Uformer needs a square input whose side is a multiple of 128: the image is centred on a zero canvas and
  cropped back afterwards, as the authors' ``expand2square`` test code does.

Restormer and MPRNet come from ``spandrel-extra-arches`` (academic, non-commercial licenses): their registry
entries carry ``license_opt_in: academic`` (``models.load(..., allow_academic=True)`` or
``RESTOREBENCH_ACADEMIC=1``); without the package, building them raises one line naming the extra to install.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from models.arch.common import level_map, noise_level
from restorebench.errors import InputError

ACADEMIC_EXTRA = "pip install 'restorebench[academic]'"

ARCHS: dict[str, tuple[str, str]] = {
    "NAFNet": ("spandrel.architectures.NAFNet", "NAFNet"),
    "SwinIR": ("spandrel.architectures.SwinIR", "SwinIR"),
    "SCUNet": ("spandrel.architectures.SCUNet", "SCUNet"),
    "DRUNet": ("spandrel.architectures.DRUNet", "DRUNet"),
    "FBCNN": ("spandrel.architectures.FBCNN", "FBCNN"),
    "Uformer": ("spandrel.architectures.Uformer", "Uformer"),
    "RetinexFormer": ("spandrel.architectures.RetinexFormer", "RetinexFormer"),
    "MixDehazeNet": ("spandrel.architectures.MixDehazeNet", "MixDehazeNet"),
    "Restormer": ("spandrel_extra_arches.architectures.Restormer", "Restormer"),
    "MPRNet": ("spandrel_extra_arches.architectures.MPRNet", "MPRNet"),
}
"""Architecture name (spandrel's id) -> (module, class)."""

UFORMER_SIDE = 128
"""Uformer's input side multiple; its token grid must also be square."""

Forward = Callable[..., torch.Tensor]


def _plain(fwd: Forward, x: torch.Tensor, **cond: Any) -> torch.Tensor:
    return fwd(x)


def _first_output(fwd: Forward, x: torch.Tensor, **cond: Any) -> torch.Tensor:
    return fwd(x)[0]


def _noise_map_input(fwd: Forward, x: torch.Tensor, sigma: torch.Tensor | None = None, **cond: Any) -> torch.Tensor:
    s = noise_level(sigma, x, "DRUNet")
    return fwd(torch.cat([x, level_map(s, x.shape[2], x.shape[3])], dim=1))


def _signed_range(fwd: Forward, x: torch.Tensor, **cond: Any) -> torch.Tensor:
    return fwd(x * 2.0 - 1.0) * 0.5 + 0.5


def _square_canvas(fwd: Forward, x: torch.Tensor, **cond: Any) -> torch.Tensor:
    h, w = x.shape[-2:]
    side = -(-max(h, w) // UFORMER_SIDE) * UFORMER_SIDE
    top, left = (side - h) // 2, (side - w) // 2
    canvas = F.pad(x, (left, side - w - left, top, side - h - top))
    return fwd(canvas)[..., top:top + h, left:left + w]


CONVENTIONS: dict[str, Callable[..., torch.Tensor]] = {
    "DRUNet": _noise_map_input,
    "FBCNN": _first_output,
    "MPRNet": _first_output,
    "MixDehazeNet": _signed_range,
    "Uformer": _square_canvas,
}
"""Architectures whose official test-time call differs from ``forward(x) -> image``."""


def arch_class(arch: str) -> type[nn.Module]:
    """spandrel's module class for ``arch``; InputError for unknown names or a missing optional package."""
    if arch not in ARCHS:
        raise InputError(f"spandrel architecture {arch!r} is not wired here; known: {sorted(ARCHS)}")
    module_name, cls_name = ARCHS[arch]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if module_name.startswith("spandrel_extra_arches"):
            raise InputError(f"{arch} needs spandrel-extra-arches (academic license): {ACADEMIC_EXTRA}") from exc
        raise InputError(f"{arch}: cannot import {module_name} ({exc}); pip install 'spandrel>=0.4.2'") from exc
    return getattr(module, cls_name)


@cache
def adapted_class(arch: str) -> type[nn.Module]:
    """A subclass of spandrel's ``arch`` class whose ``forward`` follows the official calling convention."""
    base = arch_class(arch)
    call = CONVENTIONS.get(arch, _plain)

    def forward(self: nn.Module, x: torch.Tensor, **cond: Any) -> torch.Tensor:
        return call(lambda t: base.forward(self, t), x, **cond)

    doc = f"spandrel's {arch} with forward(x[N,3,H,W] in [0,1], **cond) -> [N,3,H,W] ({call.__name__.strip('_')})."
    return type(base.__name__, (base,), {"forward": forward, "__doc__": doc, "__module__": __name__})


def spandrel_net(arch: str, **hparams: Any) -> nn.Module:
    """Build spandrel's ``arch`` (see :data:`ARCHS`) with ``hparams`` (its constructor's keyword arguments).

    Returns the module in training mode (the caller loads weights and calls ``eval()``); its ``forward``
    follows :data:`CONVENTIONS`. A bad hyper-parameter name raises InputError.
    """
    cls = adapted_class(arch)
    try:
        return cls(**hparams)
    except TypeError as exc:
        raise InputError(f"{arch}: bad hyper-parameters {sorted(hparams)} ({exc})") from exc


def detect(state_dict: dict[str, torch.Tensor]) -> tuple[str, dict]:
    """(architecture id, hyper-parameters) that spandrel's ModelLoader reads off ``state_dict``."""
    from spandrel import ModelLoader

    try:
        import spandrel_extra_arches

        spandrel_extra_arches.install(ignore_duplicates=True)
    except ImportError:
        pass
    descriptor = ModelLoader().load_from_state_dict(state_dict)
    return descriptor.architecture.id, dict(descriptor.model.hyperparameters)
