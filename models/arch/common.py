"""Pieces shared by several architectures: KAIR-style plain conv stacks, noise-level maps, key counting, per-sample
diffusion draws, named sizes recognized from a state dict."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import torch
from torch import nn

from restorebench.errors import InputError


def conv_relu_stack(in_nc: int, out_nc: int, nc: int, nb: int) -> nn.Sequential:
    """``nb`` 3x3 convolutions (with bias) with a ReLU after all but the last: KAIR's ``model.N`` layout.

    Convolution ``i`` sits at index ``2 * i`` of the Sequential (ReLUs at odd indices), which is how KAIR's
    DnCNN/FDnCNN/FFDNet checkpoints (batch norm folded into the convolutions) name their parameters.
    """
    if nb < 2:
        raise InputError(f"conv_relu_stack: nb={nb}; at least 2 convolutions are needed")
    layers: list[nn.Module] = [nn.Conv2d(in_nc, nc, 3, padding=1), nn.ReLU(inplace=True)]
    for _ in range(nb - 2):
        layers += [nn.Conv2d(nc, nc, 3, padding=1), nn.ReLU(inplace=True)]
    layers.append(nn.Conv2d(nc, out_nc, 3, padding=1))
    return nn.Sequential(*layers)


def stack_hparams(state_dict: Mapping[str, torch.Tensor], prefix: str = "model") -> dict:
    """``in_nc``, ``out_nc``, ``nc``, ``nb`` of a :func:`conv_relu_stack` saved under ``prefix``."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)\.weight$")
    idx = sorted(int(m.group(1)) for k in state_dict if (m := pattern.match(k)))
    if len(idx) < 2:
        raise InputError(f"state dict has no '{prefix}.N.weight' convolution stack (keys: {list(state_dict)[:4]}...)")
    first, last = state_dict[f"{prefix}.{idx[0]}.weight"], state_dict[f"{prefix}.{idx[-1]}.weight"]
    return {"in_nc": int(first.shape[1]), "out_nc": int(last.shape[0]), "nc": int(first.shape[0]), "nb": len(idx)}


def noise_level(sigma: torch.Tensor | float | None, x: torch.Tensor, name: str) -> torch.Tensor:
    """Per-image noise level as an (N,) tensor on ``x``'s device/dtype; ``sigma`` in [0,1] units (sigma255/255).

    A float applies to the whole batch; None is an error naming the model (these networks need the level).
    """
    if sigma is None:
        raise InputError(f"{name}: needs the noise level sigma=Tensor[N] in [0,1] units (sigma255/255)")
    s = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1)
    if s.numel() == 1:
        s = s.expand(x.shape[0])
    if s.numel() != x.shape[0]:
        raise InputError(f"{name}: sigma has {s.numel()} values for a batch of {x.shape[0]}")
    if not bool(torch.isfinite(s).all()) or bool((s < 0).any()):
        raise InputError(f"{name}: sigma must be finite and >= 0 (in [0,1] units), got {s.tolist()}")
    return s


def level_map(sigma: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """An (N,1,height,width) constant map of the per-image levels ``sigma`` (N,)."""
    return sigma.reshape(-1, 1, 1, 1).expand(-1, 1, height, width)


def sequence_length(state_dict: Mapping[str, torch.Tensor], prefix: str) -> int:
    """Number of modules of the Sequential/ModuleList saved under ``prefix`` (keys ``prefix.N....``)."""
    pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)\.")
    return 1 + max(int(m.group(1)) for k in state_dict if (m := pattern.match(k)))


def draw_timesteps(generators: Sequence[torch.Generator], timesteps: int, device: torch.device) -> torch.Tensor:
    """One diffusion time step in [0, ``timesteps``) per sample, sample i's drawn from ``generators[i]`` (int64 (N,))."""
    return torch.cat([torch.randint(0, timesteps, (1,), generator=g) for g in generators]).to(device)


def draw_noise(generators: Sequence[torch.Generator], like: torch.Tensor) -> torch.Tensor:
    """Standard normal noise shaped like ``like`` (N, C, H, W), image i drawn from ``generators[i]`` (on the CPU)."""
    return torch.stack([torch.randn(like.shape[1:], generator=g) for g in generators]).to(like.device, like.dtype)


def detect_size(state_dict: Mapping[str, torch.Tensor], factory: Callable[..., nn.Module],
                sizes: Mapping[str, dict]) -> dict:
    """The arguments of the named size whose module (``factory(**sizes[name])``, built on the meta device) has
    exactly the keys and shapes of ``state_dict``; ValueError when no size has them. For architectures whose
    hyper-parameters are not all readable off their weights (attention heads, image sizes)."""
    shapes = {k: tuple(v.shape) for k, v in state_dict.items()}
    for args in sizes.values():
        with torch.device("meta"):
            own = factory(**args).state_dict()
        if shapes == {k: tuple(v.shape) for k, v in own.items()}:
            return dict(args)
    raise ValueError(f"no named size {sorted(sizes)} has these weights")
