"""NetworkRestorer: a torch nn.Module built by a registry adapter, behind the Restorer interface.

Building (:func:`build_network`): ``factory(**info.args)`` makes the module; its weights come from the
registry files (resolved by ``restorebench.weights``: sha256 verified, one-line WeightsUnavailable when
missing), from a user's file (``weights=PATH``) or stay random (``weights="random"``, for tests and timing).
Checkpoints are read with ``torch.load(weights_only=True)``; ``state_key`` picks the state dict inside,
``strip_prefix`` removes a DataParallel-style prefix, and keys must match exactly (``strict=True``).

Running: padding to ``size_multiple`` and tiling are done by the Restorer base. Gray-only networks
(``channels: 1``) see RGB either one channel at a time (``gray_mode: per_channel``: R, G and B are three
gray images, as DnCNN/FFDNet gray models are applied to colour in their papers' colour experiments) or on
luma (``gray_mode: y``: BT.601 full-range YCbCr, the network restores Y and Cb/Cr are kept, as
super-resolution and JPEG papers evaluate). ``inputs: {noise_level: estimated}`` passes
``sigma=Tensor[N]`` in [0,1] units: a fixed ``noise_level`` option (0-255) wins, else the registry value
when it is a number, else the PCA estimate of ``models.estimate`` on the whole image. fp16 (CUDA autocast)
runs only on CUDA and only for entries marked ``fp16: true``.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.estimate import estimate_sigma_batch
from models.restorer import ModelInfo, Restorer
from restorebench.errors import InputError
from restorebench.weights import resolve

YCBCR_FROM_RGB = ((0.299, 0.587, 0.114), (-0.168736, -0.331264, 0.5), (0.5, -0.418688, -0.081312))
"""BT.601 full-range RGB -> YCbCr (Cb, Cr centred on 0)."""


def import_adapter(spec: str) -> Callable[..., Any]:
    """The callable named by ``"package.module:attr"``; a missing module or attribute raises InputError."""
    mod_name, _, attr = spec.partition(":")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as exc:
        raise InputError(f"adapter {spec}: cannot import {mod_name} ({exc})") from exc
    if not hasattr(mod, attr):
        raise InputError(f"adapter {spec}: {mod_name} has no {attr!r}")
    return getattr(mod, attr)


def read_state_dict(path: str | os.PathLike, state_key: str | None = None, strip_prefix: str | None = None) -> dict:
    """The tensor state dict stored in a checkpoint file (``state_key`` entry, ``strip_prefix`` removed)."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such checkpoint file")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        msg = " ".join(str(exc).split())[:160]
        raise InputError(f"{path}: not a readable PyTorch checkpoint ({type(exc).__name__}: {msg})") from exc
    if state_key is not None:
        if not isinstance(ckpt, dict) or state_key not in ckpt:
            keys = list(ckpt)[:6] if isinstance(ckpt, dict) else type(ckpt).__name__
            raise InputError(f"{path}: no {state_key!r} entry in the checkpoint (top-level keys {keys})")
        ckpt = ckpt[state_key]
    if not isinstance(ckpt, dict) or not all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise InputError(f"{path}: expected a state dict of tensors; set state_key to the entry that holds it")
    if strip_prefix:
        ckpt = {k.removeprefix(strip_prefix): v for k, v in ckpt.items()}
    return ckpt


def load_strict(module: Any, state: dict, what: str) -> None:
    """``module.load_state_dict(state, strict=True)``; a mismatch raises one InputError line with examples."""
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in own
              if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or shapes:
        raise InputError(f"{what}: checkpoint does not match the architecture: {len(missing)} missing "
                         f"{missing[:3]}, {len(unexpected)} unexpected {unexpected[:3]}, {len(shapes)} with "
                         f"other shapes {shapes[:2]}")
    module.load_state_dict(state, strict=True)


def adapter_attr(info: ModelInfo, attr: str) -> Any:
    """Attribute ``attr`` of the module holding ``info``'s adapter factory, or None when it has none."""
    return getattr(importlib.import_module(info.adapter.partition(":")[0]), attr, None)


def arch_sizes(info: ModelInfo) -> dict[str, dict]:
    """Named configurations of ``info``'s architecture (``SIZES`` beside its factory): name -> factory
    arguments over the registry ``args``; ``{"paper": {}}`` for architectures with one size."""
    return dict(adapter_attr(info, "SIZES") or {"paper": {}})


def build_module(info: ModelInfo, size: str = "paper") -> Any:
    """A randomly initialized module of ``info`` at the named ``size`` (see :func:`arch_sizes`)."""
    sizes = arch_sizes(info)
    if size not in sizes:
        raise InputError(f"{info.name}: unknown size {size!r}; choose one of {sorted(sizes)}")
    return import_adapter(info.adapter)(**{**info.args, **sizes[size]})


def detected_args(info: ModelInfo, state: dict) -> dict:
    """Factory arguments read off a user's state dict, for architectures with named sizes (``SIZES`` and a
    ``detect`` beside the factory; only the arguments the factory takes, all of them for a ``**kwargs``
    factory); ``{}`` otherwise or when ``detect`` does not recognize the state dict (the strict load then
    reports the mismatch)."""
    detect = adapter_attr(info, "detect")
    if adapter_attr(info, "SIZES") is None or not callable(detect):
        return {}
    try:
        found = detect(state)
    except (KeyError, IndexError, ValueError, AttributeError):
        return {}
    if not isinstance(found, dict):
        return {}
    takes = inspect.signature(import_adapter(info.adapter)).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in takes.values()):
        return found
    return {k: v for k, v in found.items() if k in takes}


def build_network(info: ModelInfo, weights: str | os.PathLike | None = None) -> Any:
    """The adapter's module in eval mode with its weights: registry files (None), ``"random"`` or a file path.

    Every registry file is resolved; an architecture whose files are not one plain state dict (a released
    checkpoint in another layout, several files) has ``read_checkpoint(paths, module) -> state dict`` beside its
    factory, given the resolved paths in registry order. For architectures with named sizes, the
    hyper-parameters of a user's file are read off its state dict, so a checkpoint of any size (``paper``,
    ``small``, ...) loads strictly.
    """
    if weights == "random":
        return import_adapter(info.adapter)(**info.args).eval()
    if weights is None:
        if not info.weights:
            raise InputError(f"{info.name}: the registry lists no weight file; pass weights=PATH or weights='random'")
        paths = [resolve(wf) for wf in info.weights]
        reader = adapter_attr(info, "read_checkpoint")
        if callable(reader):
            module = import_adapter(info.adapter)(**info.args)
            load_strict(module, reader(paths, module), f"{info.name} <- {paths[0]}")
            return module.eval()
        path = paths[0]
    else:
        path = Path(weights)
    state = read_state_dict(path, info.state_key, info.strip_prefix)
    args = dict(info.args)
    if weights is not None:
        args.update(detected_args(info, state))
    module = import_adapter(info.adapter)(**args)
    load_strict(module, state, f"{info.name} <- {path}")
    return module.eval()


def rgb_to_ycbcr(x: Any) -> Any:
    """BT.601 full-range YCbCr of an Nx3xHxW RGB tensor in [0,1] (Cb, Cr centred on 0)."""
    import torch

    m = torch.tensor(YCBCR_FROM_RGB, dtype=x.dtype, device=x.device)
    return torch.einsum("ij,njhw->nihw", m, x)


def ycbcr_to_rgb(x: Any) -> Any:
    """Inverse of :func:`rgb_to_ycbcr`."""
    import torch

    m = torch.linalg.inv(torch.tensor(YCBCR_FROM_RGB, dtype=torch.float64)).to(dtype=x.dtype, device=x.device)
    return torch.einsum("ij,njhw->nihw", m, x)


class NetworkRestorer(Restorer):
    """A learned network behind the Restorer interface (see the module docstring).

    ``noise_level`` (0-255) fixes sigma for entries with a noise-level input; ``half`` runs fp16 on CUDA
    for entries marked ``fp16: true``.
    """

    def __init__(self, info: ModelInfo, module: Any, device: Any = "cpu", tile: int | None = None,
                 overlap: int | None = None, noise_level: float | None = None, half: bool = False):
        super().__init__(info, device, tile, overlap)
        if noise_level is not None and "noise_level" not in info.inputs:
            raise InputError(f"{info.name}: takes no noise level; drop noise_level=")
        if noise_level is not None and not 0 <= float(noise_level) <= 255:
            raise InputError(f"{info.name}: noise_level={noise_level!r} must be in [0, 255] (0-255 units)")
        if half and not info.fp16:
            raise InputError(f"{info.name}: fp16 is not supported by this architecture (registry fp16: false)")
        self.noise_level = noise_level
        self.half = half
        self.module = module
        self.to(self.device)

    def to(self, device: Any) -> NetworkRestorer:
        super().to(device)
        self.module.to(self.device)
        return self

    def sigma_for(self, x: Any) -> Any:
        """Per-image noise std (N,) in [0,1] units: fixed option, registry number, or PCA estimate."""
        import torch

        n = x.shape[0]
        level = self.noise_level if self.noise_level is not None else self.info.inputs["noise_level"]
        if level == "estimated":
            sig = estimate_sigma_batch(x)
        elif isinstance(level, (int, float)) and not isinstance(level, bool):
            sig = torch.full((n,), float(level))
        else:
            raise InputError(f"{self.info.name}: inputs.noise_level must be 'estimated' or a number, got {level!r}")
        return (sig / 255.0).to(self.device)

    def prepare(self, x: Any, prompt: list[str] | None, instruction: Any) -> dict:
        cond: dict[str, Any] = {}
        if "noise_level" in self.info.inputs:
            cond["sigma"] = self.sigma_for(x)
        if prompt is not None:
            cond["prompt"] = prompt
        if instruction is not None:
            cond["instruction"] = instruction
        return cond

    def _run(self, x: Any, cond: dict) -> Any:
        import torch

        with torch.autocast("cuda", dtype=torch.float16, enabled=self.half and x.is_cuda):
            return self.module(x, **cond).float()

    def forward(self, x: Any, **cond: Any) -> Any:
        if self.info.channels == 3:
            return self._run(x, cond)
        n, c, h, w = x.shape
        if self.info.gray_mode == "per_channel":
            per = {k: (v.repeat_interleave(c) if k == "sigma" else v) for k, v in cond.items()}
            return self._run(x.reshape(n * c, 1, h, w), per).reshape(n, c, h, w)
        import torch

        ycc = rgb_to_ycbcr(x)
        y = self._run(ycc[:, :1].contiguous(), cond)
        return ycbcr_to_rgb(torch.cat([y, ycc[:, 1:]], dim=1))
