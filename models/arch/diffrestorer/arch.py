"""Diff-Restorer (Zhang et al. Diff-Restorer: Unleashing Visual Prompts for Diffusion-based Universal Image
Restoration. 2024) on diffusers and open_clip_torch.

The LQ image's CLIP image embedding goes through the prompt processor: its semantic branch gives the tokens the
Stable Diffusion 1.5 UNet cross-attends to (no text), its degradation branch the embedding ``d`` that modulates
the control module and the decoder. The image-guided control module reads the LQ image's VAE latent and adds a
residual to every skip feature and the middle block of the UNet (ControlNet-style, through diffusers'
``down_block_additional_residuals``). UniPC samples ``steps`` (20) steps on Stable Diffusion's schedule from
noise drawn with ``seed``; the degradation-aware decoder turns the latent into the image with the LQ image's
VAE-encoder features. See ``models.arch.diffrestorer.modules``.

``CONFIGS``: ``paper`` on SD 1.5 and CLIP ViT-L/14; ``tiny`` the same classes at test size.
:func:`training_losses` is the objective; :func:`read_checkpoint` assembles the state from a Stable Diffusion
1.5 diffusers folder, the CLIP file and the file of the trained modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from models.arch.diffrestorer.modules import (
    ControlDecoder,
    ControlModule,
    DegradationAwareDecoder,
    PromptProcessor,
)
from models.arch.sd.backbones import BACKBONES
from models.arch.sd.clip import build_clip, image_embeddings
from models.arch.sd.deps import optional
from models.arch.sd.parts import build_unet, build_vae, encode_mode, read_safetensors, scheduler
from models.network import read_state_dict
from restorebench.errors import InputError

MODULES = {"paper": {"prompt": {"num_tokens": 16, "hidden": 1024, "degradation_dim": 512}, "control_blocks": 2},
           "tiny": {"prompt": {"num_tokens": 4, "hidden": 32, "degradation_dim": 16}, "control_blocks": 1}}
"""Sizes of the trained modules: prompt processor (semantic tokens, MLP width, degradation embedding) and residual
blocks per control level."""
CONFIGS = {name: {**BACKBONES[name], **MODULES[name]} for name in BACKBONES}
SIZES = {"paper": {"config": "paper"}, "tiny": {"config": "tiny"}}
"""Named configurations (``models.network.build_module``)."""
FROZEN = ("unet", "vae", "clip")
"""Stable Diffusion and CLIP parts: loaded from their releases, never trained here."""


class DiffRestorer(nn.Module):
    """``forward(x: Nx3xHxW in [0,1]) -> Nx3xHxW in [0,1]``."""

    def __init__(self, config: str = "paper", steps: int = 20, seed: int = 0):
        super().__init__()
        if config not in CONFIGS:
            raise InputError(f"diffrestorer: config {config!r}; choose one of {sorted(CONFIGS)}")
        if not isinstance(steps, int) or steps < 1:
            raise InputError(f"diffrestorer: steps={steps!r} must be a positive integer")
        cfg = CONFIGS[config]
        unet_cfg, vae_cfg, p = cfg["unet"], cfg["vae"], cfg["prompt"]
        latent = vae_cfg["latent_channels"]
        self.unet = build_unet(unet_cfg)
        self.vae = build_vae(vae_cfg)
        self.clip = build_clip(cfg["clip"])
        self.prompt = PromptProcessor(cfg["clip"]["embed_dim"], unet_cfg["cross_attention_dim"], p["num_tokens"],
                                      p["hidden"], p["degradation_dim"])
        self.control = ControlModule(latent, unet_cfg, p["degradation_dim"], cfg["control_blocks"])
        self.control_decoder = ControlDecoder(unet_cfg["block_out_channels"][0], latent, unet_cfg["norm_num_groups"])
        self.decoder = DegradationAwareDecoder(vae_cfg, p["degradation_dim"])
        self.steps, self.seed = steps, seed

    def conditions(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(semantic tokens, degradation embedding, scaled LQ latent) of an LQ batch in [0,1]."""
        tokens, d = self.prompt(image_embeddings(self.clip, x))
        return tokens, d, encode_mode(self.vae, x) * self.vae.config.scaling_factor

    def eps(self, z: torch.Tensor, t: torch.Tensor, tokens: torch.Tensor, control: tuple) -> torch.Tensor:
        """The UNet's noise prediction with the control residuals ``control`` = (down tuple, middle)."""
        down, mid = control
        return self.unet(z, t, encoder_hidden_states=tokens, down_block_additional_residuals=down,
                         mid_block_additional_residual=mid).sample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        generator = torch.Generator(device=x.device).manual_seed(self.seed)
        tokens, d, lq_latent = self.conditions(x)
        _, down, mid = self.control(lq_latent, d)
        sched = scheduler("unipc")
        sched.set_timesteps(self.steps, device=x.device)
        z = torch.randn(lq_latent.shape, generator=generator, device=x.device) * sched.init_noise_sigma
        for t in sched.timesteps:
            eps = self.eps(sched.scale_model_input(z, t), t, tokens, (down, mid))
            z = sched.step(eps, t, z).prev_sample
        return self.decoder(self.vae, z, x, d)


def diffrestorer(**kwargs) -> DiffRestorer:
    """A Diff-Restorer; defaults: Stable Diffusion 1.5, CLIP ViT-L/14, UniPC with 20 steps."""
    return DiffRestorer(**kwargs)


def trainable_parameters(model: DiffRestorer) -> list[nn.Parameter]:
    """Parameters of the parts Diff-Restorer trains (everything but Stable Diffusion and CLIP)."""
    return [p for name, p in model.named_parameters() if name.partition(".")[0] not in FROZEN]


def trained_state_dict(model: DiffRestorer) -> dict[str, torch.Tensor]:
    """The trained modules' tensors (``prompt.``, ``control.``, ``control_decoder.``, ``decoder.``): what
    ``diff-restorer-modules.pth`` holds (save with ``torch.save``)."""
    return {k: v for k, v in model.state_dict().items() if k.partition(".")[0] not in FROZEN}


def training_losses(model: DiffRestorer, degraded: torch.Tensor, clean: torch.Tensor,
                    generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Diff-Restorer's losses on a batch (Nx3xHxW in [0,1]); noise and timesteps drawn from ``generator``.

    ``diffusion``: noise-prediction MSE of the controlled UNet on the clean image's latent; ``control``: L2 of
    the control decoder's reconstruction of that latent; ``decoder``: MSE of the degradation-aware decoder's
    image of the clean latent against the clean image; ``total``: their sum.
    """
    sched = scheduler("ddpm")
    tokens, d, lq_latent = model.conditions(degraded)
    z0 = encode_mode(model.vae, clean) * model.vae.config.scaling_factor
    noise = torch.randn(z0.shape, generator=generator, device=z0.device)
    t = torch.randint(0, sched.config.num_train_timesteps, (z0.shape[0],), generator=generator, device=z0.device)
    feats, down, mid = model.control(lq_latent, d)
    eps = model.eps(sched.add_noise(z0, noise, t), t, tokens, (down, mid))
    losses = {"diffusion": F.mse_loss(eps, noise), "control": F.mse_loss(model.control_decoder(feats[0]), z0),
              "decoder": F.mse_loss(model.decoder(model.vae, z0, degraded, d), clean)}
    losses["total"] = sum(losses.values())
    return losses


def _diffusers_state(folder: Path, part: str) -> dict[str, torch.Tensor]:
    """The state dict of ``folder`` (a diffusers model folder) loaded by diffusers, which also renames the keys
    of older releases; a folder without its config.json gives one line naming it."""
    diffusers = optional("diffusers")
    cls = {"unet": diffusers.UNet2DConditionModel, "vae": diffusers.AutoencoderKL}[part]
    if not (folder / "config.json").is_file():
        raise InputError(f"{folder}: config.json missing; put the whole diffusers '{part}' folder there")
    return cls.from_pretrained(str(folder), local_files_only=True, use_safetensors=True).state_dict()


def read_checkpoint(paths: Sequence[Path], model: DiffRestorer) -> dict[str, torch.Tensor]:
    """The state of the registry files, in registry order: SD 1.5 ``unet/`` and ``vae/`` weights (their folders
    read by diffusers), the open_clip CLIP file and the trained modules' file (keys in this module's names)."""
    unet, vae, clip, modules = paths
    state = {f"unet.{k}": v for k, v in _diffusers_state(Path(unet).parent, "unet").items()}
    state.update({f"vae.{k}": v for k, v in _diffusers_state(Path(vae).parent, "vae").items()})
    state.update(read_safetensors(clip, "clip."))
    state.update(read_state_dict(modules))
    return state
