"""Noise, torch batch path: Nx3xHxW float tensors on any device, one params dict per sample.

Random fields come from a ``torch.Generator`` on the tensor's device seeded with the params'
``seed``: statistics match the numpy path, bytes do not (numpy's PCG64 and an inverse-CDF table vs torch's
generators: mt19937 on the CPU, Philox on CUDA).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from degrade.color import (
    camera_matrix,
    camera_raw,
    camera_render,
    linear_to_srgb,
    reduce_chroma,
    srgb_to_linear,
)
from degrade.filtering import convolve_batch
from degrade.kernels import gaussian_kernel
from degrade.ops.noise import functional


def device_generator(seed: int, device: torch.device) -> torch.Generator:
    """A torch generator on ``device`` seeded with ``seed`` (one per sample)."""
    return torch.Generator(device=device).manual_seed(int(seed))


def per_sample(
    x: torch.Tensor, params: list[dict], fn: Callable[[torch.Tensor, dict, torch.Generator], torch.Tensor]
) -> torch.Tensor:
    """Apply ``fn(sample 3xHxW, params, generator seeded from params["seed"])`` to each sample of ``x``
    (one generator re-seeded per sample: the same draws as a new one, without creating one each time)."""
    out = torch.empty_like(x)
    gen = torch.Generator(device=x.device)
    for i, p in enumerate(params):
        out[i] = fn(x[i], p, gen.manual_seed(int(p["seed"])))
    return out


def seeded_fields(x: torch.Tensor, params: list[dict], draw: Callable[..., torch.Tensor],
                  channels: list[int] | None = None) -> torch.Tensor:
    """Random fields shaped like the Nx3xHxW ``x`` (same device and dtype): sample i's ``channels[i]``
    (default 3) channels drawn by ``draw`` (``torch.rand`` / ``torch.randn``) from a generator seeded with
    ``params[i]["seed"]``, exactly as :func:`per_sample` draws them; a one-channel field is repeated across
    the three."""
    _, c, h, w = x.shape
    field = torch.empty_like(x)
    gen = torch.Generator(device=x.device)
    for i, p in enumerate(params):
        k = channels[i] if channels else c
        draw((k, h, w), generator=gen.manual_seed(int(p["seed"])), out=field[i, :k])
        if k < c:
            field[i, k:] = field[i, :k]
    return field


def column(params: list[dict], value: Callable[[dict], float], like: torch.Tensor) -> torch.Tensor:
    """``value(params[i])`` per sample as an Nx1x1x1 tensor of ``like``'s dtype and device."""
    return torch.tensor([value(p) for p in params], dtype=like.dtype, device=like.device).view(-1, 1, 1, 1)


def normal_like(x: torch.Tensor, gen: torch.Generator, channels: int | None = None) -> torch.Tensor:
    """Standard normal field shaped like the CxHxW ``x`` (or with ``channels`` channels), same device/dtype."""
    shape = (channels or x.shape[0], *x.shape[1:])
    return torch.randn(shape, generator=gen, device=x.device, dtype=x.dtype)


def shot_read_noise(signal: torch.Tensor, photons: float, read_noise: float, gen: torch.Generator) -> torch.Tensor:
    """Torch twin of ``functional.shot_read_noise``: (Poisson(signal*photons) + N(0, read_noise^2)) / photons."""
    out = torch.poisson(signal.float() * photons, generator=gen).to(signal.dtype)
    if read_noise > 0:
        out += normal_like(signal, gen) * read_noise
    return out / photons


def gaussian_noise(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Add per-sample Gaussian noise: sigma (0-255 units), gray, seed per params dict."""
    field = seeded_fields(x, params, torch.randn, [1 if p["gray"] else 3 for p in params])
    return field.mul_(column(params, lambda p: p["sigma"] / 255.0, x)).add_(x)


def poisson_noise(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Per-sample shot noise: photons at value 1.0, counted on sRGB values or (linear=True) in linear light."""

    def one(s: torch.Tensor, p: dict, g: torch.Generator) -> torch.Tensor:
        if not p["linear"]:
            return shot_read_noise(s, p["photons"], 0.0, g)
        return linear_to_srgb(shot_read_noise(srgb_to_linear(s), p["photons"], 0.0, g))

    return per_sample(x, params, one)


def speckle_noise(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Per-sample multiplicative noise ``x * (1 + sigma * n)``."""
    return seeded_fields(x, params, torch.randn).mul_(x).mul_(column(params, lambda p: p["sigma"], x)).add_(x)


def salt_pepper_noise(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Per-sample impulse noise: ``amount`` of the values replaced, ``salt_ratio`` of them by 1, else 0."""

    u = seeded_fields(x, params, torch.rand)
    out = x.masked_fill(u < column(params, lambda p: p["amount"], u), 0.0)
    return out.masked_fill_(u < column(params, lambda p: p["amount"] * p["salt_ratio"], u), 1.0)


def demosaic_bilinear(sparse: torch.Tensor) -> torch.Tensor:
    """Torch twin of ``functional.demosaic_bilinear``: Nx3xHxW RGGB samples -> Nx3xHxW (reflect borders)."""
    kernels = np.stack([functional.BAYER_RB, functional.BAYER_G, functional.BAYER_RB])[:, None]
    # symmetric kernels: correlation (conv2d) equals convolution
    return F.conv2d(F.pad(sparse, (1, 1, 1, 1), mode="reflect"), torch.from_numpy(kernels).to(sparse), groups=3)


def mosaic_noise(lin: torch.Tensor, params: list[dict], gens: list[torch.Generator]) -> torch.Tensor:
    """Torch twin of ``functional.mosaic_noise`` for an Nx3xHxW linear batch: the demosaicked noise alone.

    Sample i draws with ``params[i]`` (photons, read_noise) and ``gens[i]``; the fields are demosaicked
    together.
    """
    h, w = lin.shape[-2:]
    mask = torch.from_numpy(functional.bayer_mask(h, w)).permute(2, 0, 1).to(lin)
    raw = (lin * mask).sum(1, keepdim=True)
    noisy = torch.stack([shot_read_noise(raw[i], p["photons"], p["read_noise"], g)
                         for i, (p, g) in enumerate(zip(params, gens))])
    return demosaic_bilinear((noisy - raw) * mask)


def sensor_noise(lin: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Torch twin of ``functional.sensor_noise`` for an Nx3xHxW linear batch.

    Each params dict gives photons, read_noise, bayer and seed; the mosaicked samples are
    demosaicked together.
    """
    out = torch.empty_like(lin)
    gens = [device_generator(p["seed"], lin.device) for p in params]
    mosaic = [i for i, p in enumerate(params) if p["bayer"]]
    for i, p in enumerate(params):
        if not p["bayer"]:
            out[i] = shot_read_noise(lin[i], p["photons"], p["read_noise"], gens[i])
    if mosaic:
        picked = [params[i] for i in mosaic], [gens[i] for i in mosaic]
        out[mosaic] = lin[mosaic] + mosaic_noise(lin[mosaic], *picked)
    return out


def camera_noise(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Per-sample raw-like sensor noise: sRGB -> linear, :func:`sensor_noise`, -> sRGB."""
    return linear_to_srgb(sensor_noise(srgb_to_linear(x), params))


def isp_noise(x: torch.Tensor, params: list[dict]) -> torch.Tensor:
    """Torch twin of ``functional.isp_noise``: per-sample camera-pipeline noise (each sample alone, so its
    bytes do not depend on the rest of the batch)."""

    def one(s: torch.Tensor, p: dict, g: torch.Generator) -> torch.Tensor:
        raw_to_srgb = camera_matrix(p["ccm"], p["wb_red"], p["wb_blue"])
        raw = camera_raw(s, raw_to_srgb)
        noise = reduce_chroma(mosaic_noise(raw[None], [p], [g]), p["chroma_nr"])
        if p["nr_sigma"] > 0:
            noise = convolve_batch(noise, [gaussian_kernel(p["nr_sigma"], p["nr_sigma"])])
        return s + (camera_render(raw + noise[0], raw_to_srgb) - camera_render(raw, raw_to_srgb))

    return per_sample(x, params, one)
