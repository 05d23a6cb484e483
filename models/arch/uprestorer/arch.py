"""Up-Restorer ("When Unrolling Meets Prompts for Unified Image Restoration", AAAI 2025): a conditional diffusion
model whose deterministic sampler is an unrolled ADMM solver of the unified degradation model
``I = J * t + A * (1 - t) + N`` (degraded I, clean J, transmission t, atmospheric light A, additive N).

One unrolled stage per sampling step ``tau`` (DDIM, eta = 0, C2F-DFT's linear beta schedule):

* U-update, the denoising step: the Diffusion Transformer predicts the noise ``eps`` of ``x_tau`` from
  ``[y, x_tau]`` and ``U = (x_tau - sqrt(1 - a) eps) / sqrt(a)``;
* J-update, the Prompt Upgrade Module (:class:`PromptUpgrade`): t, N and A of the stage give the closed-form
  minimizer :func:`j_update` of ``|I - J t - A (1 - t) - N|^2 / (2 sigma^2) + rho / 2 |J - U + lambda / rho|^2``;
* lambda-update: ``lambda += rho (J - U)``, the running estimate of what the denoiser's image misses;
* the next state ``x = sqrt(a') J + sqrt(1 - a') eps`` (a' = 1 after the last step, so the output is J).

Images enter and leave in [0,1]; inside, the model works in [-1,1] (``2 I - 1``), where the degradation model
keeps its form (A and N rescale). ``forward(lq)`` starts from noise drawn from a generator seeded with
:data:`SAMPLER_SEED`, one (1, 3, H, W) draw shared by the whole batch, so an image's result does not depend on
its batch. Sides must be multiples of 8.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from models.arch.common import draw_noise, draw_timesteps, sequence_length
from models.arch.promptir.arch import PromptGenBlock
from models.arch.uprestorer.backbone import DiffusionTransformer

SAMPLER_SEED = 0
"""Seed of the start noise of :meth:`UpRestorer.forward` (reproducible outputs)."""
RHO_INIT = 4.0
SIGMA_INIT = 1.0
"""Initial ADMM penalty rho and noise scale sigma of every stage (learned; in the [-1,1] image scale)."""


def j_update(y: torch.Tensor, u: torch.Tensor, lam: torch.Tensor, t: torch.Tensor, a: torch.Tensor,
             n: torch.Tensor, sigma2: torch.Tensor, rho: torch.Tensor) -> torch.Tensor:
    """Closed-form J-update: ``M (t (y - A (1 - t) - N) / sigma^2 + rho U - lambda)`` with
    ``M = (t^2 / sigma^2 + rho)^-1``; all maps broadcast to (N, C, H, W); sigma2 and rho positive scalars."""
    m = 1.0 / (t * t / sigma2 + rho)
    return m * (t * (y - a * (1 - t) - n) / sigma2 + rho * u - lam)


class PromptUpgrade(nn.Module):
    """J-update of one unrolled stage. Features ``F = conv3x3([y, U])``; the prompt ``P`` is generated from
    them (global average -> linear -> softmax weights over ``prompt_len`` learnable prompts -> resize -> conv);
    ``t = sigmoid(linear([F, P]))`` and ``N = linear([F, P])`` per pixel; ``A`` a learnable map (resized to the
    image); sigma^2 and rho learnable positive scalars."""

    def __init__(self, prompt_dim: int, prompt_len: int, prompt_size: int, channels: int = 3):
        super().__init__()
        self.features = nn.Conv2d(2 * channels, prompt_dim, 3, padding=1, bias=False)
        self.prompt = PromptGenBlock(prompt_dim, prompt_len, prompt_size, prompt_dim)
        self.transmission = nn.Conv2d(2 * prompt_dim, channels, 1)
        self.additive = nn.Conv2d(2 * prompt_dim, channels, 1)
        self.airlight = nn.Parameter(torch.zeros(1, channels, prompt_size, prompt_size))
        self.log_sigma2 = nn.Parameter(torch.tensor(2 * math.log(SIGMA_INIT)))
        self.log_rho = nn.Parameter(torch.tensor(math.log(RHO_INIT)))

    @property
    def rho(self) -> torch.Tensor:
        return self.log_rho.exp()

    def degradation(self, y: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(t, A, N) of the unified model for degraded ``y`` and the denoiser's image ``u`` (N, C, H, W)."""
        f = self.features(torch.cat([y, u], dim=1))
        fp = torch.cat([f, self.prompt(f)], dim=1)
        a = F.interpolate(self.airlight, size=y.shape[-2:], mode="bilinear", align_corners=False)
        return torch.sigmoid(self.transmission(fp)), a, self.additive(fp)

    def forward(self, y: torch.Tensor, u: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
        t, a, n = self.degradation(y, u)
        return j_update(y, u, lam, t, a, n, self.log_sigma2.exp(), self.rho)


def ddim_timesteps(steps: int, timesteps: int) -> list[tuple[int, int]]:
    """(tau, next tau) pairs from high to low noise: ``steps`` evenly spaced steps ``k * timesteps // steps``,
    the last one going to -1 (no noise)."""
    seq = [k * timesteps // steps for k in range(steps)]
    return list(zip(reversed(seq), reversed([-1] + seq[:-1]), strict=True))


class UpRestorer(nn.Module):
    """Up-Restorer: (N, 3, H, W) degraded RGB in [0,1], H and W multiples of 8 -> restored, same shape."""

    def __init__(self, dim: int = 48, num_blocks: Sequence[int] = (4, 6, 6, 8), heads: Sequence[int] = (1, 2, 4, 8),
                 ffn_factor: float = 4.0, bias: bool = False, layer_norm: str = "WithBias", sampling_steps: int = 3,
                 prompt_dim: int = 64, prompt_len: int = 5, prompt_size: int = 64, timesteps: int = 1000,
                 beta_start: float = 1e-4, beta_end: float = 0.02):
        super().__init__()
        self.backbone = DiffusionTransformer(dim, num_blocks, heads, ffn_factor, bias, layer_norm)
        self.stages = nn.ModuleList(PromptUpgrade(prompt_dim, prompt_len, prompt_size) for _ in range(sampling_steps))
        self.timesteps = timesteps
        betas = torch.linspace(beta_start, beta_end, timesteps, dtype=torch.float64)
        alphas = torch.cat([torch.ones(1, dtype=torch.float64), (1 - betas).cumprod(0)]).float()
        self.register_buffer("alphas_cumprod", alphas, persistent=False)

    def alpha(self, tau: torch.Tensor | int) -> torch.Tensor:
        """Cumulative signal fraction a(tau) as (N, 1, 1, 1) (or a scalar); a(-1) = 1."""
        a = self.alphas_cumprod[torch.as_tensor(tau, device=self.alphas_cumprod.device) + 1]
        return a.view(-1, 1, 1, 1) if a.dim() else a

    def sample(self, lq: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """The unrolled sampler (see the module doc) from start ``noise`` (N or 1, 3, H, W) -> image in [0,1]
        scale (not clamped)."""
        y = 2 * lq - 1
        x = noise.expand_as(y)
        lam = torch.zeros_like(y)
        for stage, (tau, nxt) in zip(self.stages, ddim_timesteps(len(self.stages), self.timesteps), strict=True):
            a, a_next = self.alpha(tau), self.alpha(nxt)
            eps = self.backbone(torch.cat([y, x], dim=1), torch.full((len(y),), tau, device=y.device))
            u = (x - (1 - a).sqrt() * eps) / a.sqrt()
            j = stage(y, u, lam)
            lam = lam + stage.rho * (j - u)
            x = a_next.sqrt() * j + (1 - a_next).sqrt() * eps
        return (x + 1) / 2

    def start_noise(self, lq: torch.Tensor) -> torch.Tensor:
        """The fixed start of :meth:`forward`: (1, 3, H, W) standard normal from :data:`SAMPLER_SEED`."""
        g = torch.Generator().manual_seed(SAMPLER_SEED)
        return torch.randn((1, *lq.shape[1:]), generator=g).to(device=lq.device, dtype=lq.dtype)

    def forward(self, lq: torch.Tensor) -> torch.Tensor:
        return self.sample(lq, self.start_noise(lq))

    def noise_loss(self, lq: torch.Tensor, gt: torch.Tensor, generators: Sequence[torch.Generator]) -> torch.Tensor:
        """C2F-DFT's coarse-stage loss: L1 between the predicted and the true noise of ``x_tau = sqrt(a) gt +
        sqrt(1 - a) eps`` (in [-1,1] scale); sample i draws its tau and eps from ``generators[i]``."""
        taus = draw_timesteps(generators, self.timesteps, lq.device)
        eps = draw_noise(generators, lq)
        a = self.alpha(taus)
        x = a.sqrt() * (2 * gt - 1) + (1 - a).sqrt() * eps
        return F.l1_loss(self.backbone(torch.cat([2 * lq - 1, x], dim=1), taus), eps)


SIZES = {
    "paper": {},
    "small": {"dim": 16, "num_blocks": [1, 2, 2, 2], "sampling_steps": 2, "prompt_dim": 16, "prompt_size": 16},
}
"""Named configurations: ``paper`` (C2F-DFT's backbone and sampling steps; see the README) and ``small``
(trains on a CPU; 2 sampling steps; under 1 M parameters)."""


def uprestorer(**hparams) -> UpRestorer:
    """An Up-Restorer; defaults are the ``paper`` size."""
    return UpRestorer(**hparams)



def detect(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Up-Restorer hyper-parameters read off a state dict (schedule constants are not stored: defaults)."""
    levels = ("encoder_level1", "encoder_level2", "encoder_level3", "latent")
    dim = int(state_dict["backbone.patch_embed.proj.weight"].shape[0])
    hidden = int(state_dict["backbone.encoder_level1.0.ffn.project_in.weight"].shape[0])
    prompts = state_dict["stages.0.prompt.prompt_param"]
    return {
        "dim": dim,
        "num_blocks": [sequence_length(state_dict, f"backbone.{lv}") for lv in levels],
        "heads": [int(state_dict[f"backbone.{lv}.0.attn.temperature"].shape[0]) for lv in levels],
        "ffn_factor": hidden / dim,
        "bias": "backbone.output.bias" in state_dict,
        "layer_norm": "WithBias" if "backbone.encoder_level1.0.norm1.body.bias" in state_dict else "BiasFree",
        "sampling_steps": sequence_length(state_dict, "stages"),
        "prompt_dim": int(prompts.shape[2]),
        "prompt_len": int(prompts.shape[1]),
        "prompt_size": int(prompts.shape[3]),
    }
