"""AutoDIR (Jiang, Zhang, Xue, Gu. AutoDIR: Automatic All-in-One Image Restoration with Latent Diffusion.
ECCV 2024) on diffusers and open_clip_torch.

Per image, repeated until the BIQA module (``models.arch.autodir.biqa``) names ``no`` artifact or
``max_iterations`` passes are done, each label used at most once:

1. the BIQA module gives label probabilities; their mix of prompt token features is the text condition (a
   user's ``prompt`` replaces it, for one pass);
2. a Stable Diffusion UNet whose input is the noisy latent concatenated with the input image's VAE latent
   (posterior mode, unscaled; 8 input channels) is sampled with Euler-ancestral steps (``steps``) on Stable
   Diffusion's schedule; with ``text_cfg``/``image_cfg`` other than 1, InstructPix2Pix-style guidance over
   (text + image, image only, neither) is applied;
3. the VAE decodes ``I_sd`` and the structural-correction module gives ``I_res = I_sd + w F([I, I_sd])``
   (``models.arch.autodir.scm``); for ``low resolution`` the pass keeps ``I_sd``, as AutoDIR's inference does.

``CONFIGS``: ``paper`` is the released model's (SD 1.x UNet and VAE, CLIP ViT-L/14, NAFNet width 64);
``tiny`` is a small configuration of the same classes for tests. :func:`read_checkpoint` maps the released
PyTorch Lightning checkpoint (LDM names, Hugging Face CLIP) onto this module's names.
:func:`training_losses` is AutoDIR's objective. Sampling draws from a generator seeded with ``seed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from models.arch.autodir.biqa import BIQA, biqa_loss
from models.arch.autodir.scm import StructureCorrection
from models.arch.sd.backbones import BACKBONES
from models.arch.sd.clip import hf_clip_to_open_clip
from models.arch.sd.deps import optional
from models.arch.sd.parts import build_unet, build_vae, decode, encode_mode, scheduler
from models.network import read_state_dict
from restorebench.errors import InputError

SCM = {"paper": {"width": 64, "enc_blk_nums": (2, 2, 4, 8), "middle_blk_num": 12, "dec_blk_nums": (2, 2, 2, 2)},
       "tiny": {"width": 8, "enc_blk_nums": (1, 1), "middle_blk_num": 1, "dec_blk_nums": (1, 1)}}
CONFIGS = {name: {**BACKBONES[name], "scm": SCM[name]} for name in BACKBONES}
SIZES = {"paper": {"config": "paper"}, "tiny": {"config": "tiny"}}
"""Named configurations (``models.network.build_module``): the released model's and a tiny one for tests."""
LOW_RESOLUTION = "low resolution"
CHECKPOINT_PREFIXES = {"model.diffusion_model.": "unet", "first_stage_model.": "vae",
                       "model_assessment.clipmodel.": "clip", "NAFNet.": "scm"}
"""Key prefixes of the released checkpoint's parts (its other entries, e.g. ``cond_stage_model.``, are unused)."""


class AutoDIR(nn.Module):
    """``forward(x: Nx3xHxW in [0,1], prompt: list[str] | None) -> Nx3xHxW in [0,1]``."""

    def __init__(self, config: str = "paper", steps: int = 100, seed: int = 0, max_iterations: int = 7,
                 text_cfg: float = 1.0, image_cfg: float = 1.0, scm_weight: float = 1.0):
        super().__init__()
        if config not in CONFIGS:
            raise InputError(f"autodir: config {config!r}; choose one of {sorted(CONFIGS)}")
        for name, value in (("steps", steps), ("max_iterations", max_iterations)):
            if not isinstance(value, int) or value < 1:
                raise InputError(f"autodir: {name}={value!r} must be a positive integer")
        cfg = CONFIGS[config]
        self.unet = build_unet(cfg["unet"], in_channels=2 * cfg["unet"]["out_channels"])
        self.vae = build_vae(cfg["vae"])
        self.biqa = BIQA(cfg["clip"])
        self.scm = StructureCorrection(**cfg["scm"], weight=scm_weight)
        self.steps, self.seed, self.max_iterations = steps, seed, max_iterations
        self.text_cfg, self.image_cfg = text_cfg, image_cfg

    def eps(self, z: torch.Tensor, t: torch.Tensor, image_latent: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """The UNet's noise prediction for latent ``z`` at step ``t``, with the image latent concatenated."""
        return self.unet(torch.cat([z, image_latent], dim=1), t, encoder_hidden_states=context).sample

    @property
    def guided(self) -> bool:
        """True when a guidance scale differs from 1 (three UNet passes a step instead of one)."""
        return self.text_cfg != 1.0 or self.image_cfg != 1.0

    def guided_eps(self, z: torch.Tensor, t: torch.Tensor, image_latent: torch.Tensor, context: torch.Tensor,
                   null: torch.Tensor | None) -> torch.Tensor:
        """Noise prediction with text and image guidance (``null``: the empty prompt's condition, None when
        not :attr:`guided`, which takes one UNet pass)."""
        if null is None:
            return self.eps(z, t, image_latent, context)
        full = self.eps(z, t, image_latent, context)
        image_only = self.eps(z, t, image_latent, null)
        neither = self.eps(z, t, torch.zeros_like(image_latent), null)
        return neither + self.text_cfg * (full - image_only) + self.image_cfg * (image_only - neither)

    def sample(self, x: torch.Tensor, context: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """``I_sd`` (Nx3xHxW, [0,1] unclamped): the latent-diffusion restoration of ``x`` under ``context``."""
        image_latent = encode_mode(self.vae, x)
        sched = scheduler("euler_ancestral")
        sched.set_timesteps(self.steps, device=x.device)
        null = self.biqa.prompt_condition([""] * x.shape[0]) if self.guided else None
        z = torch.randn(image_latent.shape, generator=generator, device=x.device) * sched.init_noise_sigma
        for t in sched.timesteps:
            eps = self.guided_eps(sched.scale_model_input(z, t), t, image_latent, context, null)
            z = sched.step(eps, t, z, generator=generator).prev_sample
        return decode(self.vae, z)

    def restore(self, x: torch.Tensor, context: torch.Tensor, generator: torch.Generator) -> tuple:
        """One pass: (``I_sd``, ``I_res``) for ``x`` under ``context``."""
        sd = self.sample(x, context, generator)
        return sd, self.scm(x, sd)

    def forward(self, x: torch.Tensor, prompt: Sequence[str] | None = None) -> torch.Tensor:
        generator = torch.Generator(device=x.device).manual_seed(self.seed)
        if prompt is not None:
            return self.restore(x, self.biqa.prompt_condition(prompt), generator)[1]
        labels = self.biqa.labels
        used = torch.zeros(x.shape[0], len(labels), dtype=torch.bool, device=x.device)
        low_res = labels.index(LOW_RESOLUTION) if LOW_RESOLUTION in labels else -1
        out = x
        for _ in range(self.max_iterations):
            probs = self.biqa.probabilities(out, exclude=used)
            chosen = probs.argmax(dim=1)
            active = chosen != self.biqa.clean_index
            if not bool(active.any()):
                break
            sd, res = self.restore(out, self.biqa.condition(probs), generator)
            step = torch.where((chosen == low_res).view(-1, 1, 1, 1), sd, res)
            out = torch.where(active.view(-1, 1, 1, 1), step, out)
            used[torch.arange(x.shape[0], device=x.device), chosen] |= active
        return out


def autodir(**kwargs) -> AutoDIR:
    """An AutoDIR; defaults are the released model's configuration and AutoDIR's inference settings."""
    return AutoDIR(**kwargs)


def training_losses(model: AutoDIR, degraded: torch.Tensor, clean: torch.Tensor, labels: torch.Tensor,
                    generator: torch.Generator) -> dict[str, torch.Tensor]:
    """AutoDIR's objective on a batch (Nx3xHxW in [0,1]; ``labels``: N indices into ``model.biqa.labels``).

    ``diffusion``: noise-prediction MSE of the UNet on the clean image's latent, with the degraded image's
    latent concatenated and the labels' prompt features as context; ``biqa``: :func:`biqa_loss`; ``scm``: MSE
    between the SCM result on the one-step estimate of the clean image and the clean image; ``total``: their
    sum. Noise and timesteps are drawn from ``generator``.
    """
    sched = scheduler("ddpm")
    scale = model.vae.config.scaling_factor
    z0 = encode_mode(model.vae, clean) * scale
    image_latent = encode_mode(model.vae, degraded)
    noise = torch.randn(z0.shape, generator=generator, device=z0.device)
    t = torch.randint(0, sched.config.num_train_timesteps, (z0.shape[0],), generator=generator, device=z0.device)
    zt = sched.add_noise(z0, noise, t)
    context = model.biqa.condition(F.one_hot(labels, len(model.biqa.labels)).to(z0.dtype))
    eps = model.eps(zt, t, image_latent, context)
    alpha = sched.alphas_cumprod.to(z0.device)[t].view(-1, 1, 1, 1)
    estimate = decode(model.vae, (zt - (1 - alpha).sqrt() * eps) / alpha.sqrt())
    losses = {"diffusion": F.mse_loss(eps, noise), "biqa": biqa_loss(model.biqa, degraded, labels, clean),
              "scm": F.mse_loss(model.scm(degraded, estimate), clean)}
    losses["total"] = sum(losses.values())
    return losses


def read_checkpoint(paths: Sequence[Path], model: AutoDIR) -> dict[str, torch.Tensor]:
    """The released checkpoint (``paths[0]``, PyTorch Lightning, LDM names) in this module's names.

    The UNet and VAE are converted by diffusers' LDM converters, CLIP from Hugging Face's layout to
    open_clip's, the SCM keeps NAFNet's names.
    """
    optional("diffusers")
    from diffusers.loaders.single_file_utils import convert_ldm_unet_checkpoint, convert_ldm_vae_checkpoint

    state = read_state_dict(paths[0], "state_dict")
    found = {part: any(k.startswith(prefix) for k in state) for prefix, part in CHECKPOINT_PREFIXES.items()}
    if not all(found.values()):
        absent = [p for p, part in CHECKPOINT_PREFIXES.items() if not found[part]]
        raise InputError(f"{paths[0]}: not an AutoDIR checkpoint (no keys under {absent})")
    unet = convert_ldm_unet_checkpoint(state, dict(model.unet.config))
    vae = convert_ldm_vae_checkpoint(state, dict(model.vae.config))
    clip = hf_clip_to_open_clip({k.removeprefix("model_assessment.clipmodel."): v for k, v in state.items()
                                 if k.startswith("model_assessment.clipmodel.")})
    scm = {k.removeprefix("NAFNet."): v for k, v in state.items() if k.startswith("NAFNet.")}
    return {**{f"unet.{k}": v for k, v in unet.items()}, **{f"vae.{k}": v for k, v in vae.items()},
            **{f"biqa.clip.{k}": v for k, v in clip.items()}, **{f"scm.net.{k}": v for k, v in scm.items()}}
