"""Stable Diffusion 1.x parts on diffusers: UNet and VAE configurations, noise schedule, VAE in image units.

Configurations are diffusers constructor arguments. ``SD15_UNET``/``SD15_VAE`` are Stable Diffusion 1.5's
(UNet: 4 levels of 320/640/1280/1280 channels, 2 residual blocks a level, cross-attention to 768-wide tokens,
8 heads; VAE: 128/256/512/512 channels, 8x downsampling to 4 latent channels, latent scale 0.18215);
``TINY_UNET``/``TINY_VAE`` are small configurations of the same classes for tests (2 levels, 2x VAE
downsampling, 32 normalization groups as in the LDM code, so an LDM checkpoint of this size converts too). The schedule is Stable Diffusion's: 1000 steps, betas scaled-linear from 0.00085 to 0.012.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from models.arch.sd.deps import optional
from restorebench.errors import InputError

SD15_UNET = {
    "sample_size": 64, "in_channels": 4, "out_channels": 4, "layers_per_block": 2,
    "block_out_channels": (320, 640, 1280, 1280),
    "down_block_types": ("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    "cross_attention_dim": 768, "attention_head_dim": 8, "norm_num_groups": 32,
}
TINY_UNET = {
    "sample_size": 8, "in_channels": 4, "out_channels": 4, "layers_per_block": 1, "block_out_channels": (32, 64),
    "down_block_types": ("CrossAttnDownBlock2D", "DownBlock2D"), "up_block_types": ("UpBlock2D", "CrossAttnUpBlock2D"),
    "cross_attention_dim": 32, "attention_head_dim": 8, "norm_num_groups": 32,
}
SD15_VAE = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2,
    "block_out_channels": (128, 256, 512, 512), "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4, "norm_num_groups": 32, "sample_size": 512, "scaling_factor": 0.18215,
}
TINY_VAE = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 1, "block_out_channels": (32, 64),
    "down_block_types": ("DownEncoderBlock2D",) * 2, "up_block_types": ("UpDecoderBlock2D",) * 2,
    "norm_num_groups": 32, "sample_size": 32, "scaling_factor": 0.18215,
}
SD_SCHEDULE = {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear"}
"""Stable Diffusion's training noise schedule (LDM ``linear_start``/``linear_end``, ``timesteps``)."""

def size_multiple(unet_config: dict, vae_config: dict) -> int:
    """Image sides must be multiples of this: the VAE's downsampling times the UNet's (64 for SD 1.5)."""
    return 2 ** (len(vae_config["block_out_channels"]) - 1 + len(unet_config["block_out_channels"]) - 1)


def build_unet(config: dict, in_channels: int | None = None) -> Any:
    """A randomly initialized ``diffusers.UNet2DConditionModel`` of ``config`` (``in_channels`` overrides)."""
    diffusers = optional("diffusers")
    extra = {} if in_channels is None else {"in_channels": in_channels}
    return diffusers.UNet2DConditionModel(**{**config, **extra})


def build_vae(config: dict) -> Any:
    """A randomly initialized ``diffusers.AutoencoderKL`` of ``config``."""
    return optional("diffusers").AutoencoderKL(**config)


def scheduler(kind: str) -> Any:
    """A diffusers scheduler on Stable Diffusion's schedule: ``ddpm`` (training), ``unipc``, ``euler_ancestral``."""
    diffusers = optional("diffusers")
    classes = {"ddpm": "DDPMScheduler", "unipc": "UniPCMultistepScheduler",
               "euler_ancestral": "EulerAncestralDiscreteScheduler"}
    if kind not in classes:
        raise InputError(f"scheduler {kind!r}: choose one of {sorted(classes)}")
    return getattr(diffusers, classes[kind])(**SD_SCHEDULE)


def encode_mode(vae: Any, x: torch.Tensor) -> torch.Tensor:
    """The VAE posterior mode (unscaled latent, Nx4xh/fxw/f) of an Nx3xHxW image batch in [0,1]."""
    return vae.encode(2.0 * x - 1.0).latent_dist.mode()


def decode(vae: Any, z: torch.Tensor) -> torch.Tensor:
    """Image in [0,1] (unclamped) of a diffusion latent ``z`` (scaled by the VAE's ``scaling_factor``)."""
    return (vae.decode(z / vae.config.scaling_factor).sample + 1.0) / 2.0


def read_safetensors(path: str | os.PathLike, prefix: str = "") -> dict[str, torch.Tensor]:
    """The tensors of a .safetensors file (no pickle), each key prefixed with ``prefix``."""
    from safetensors.torch import load_file

    try:
        state = load_file(str(path), device="cpu")
    except Exception as exc:  # safetensors raises its own error types for damaged files
        raise InputError(f"{path}: not a readable .safetensors file ({type(exc).__name__}: {exc})") from exc
    return {prefix + k: v for k, v in state.items()}
