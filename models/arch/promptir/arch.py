"""PromptIR (Potlapalli, Zamir, Khan, Khan. PromptIR: Prompting for All-in-One Blind Image Restoration.
NeurIPS 2023).

A 4-level Restormer encoder-decoder (``models.arch.promptir.blocks``; dim 48, blocks [4, 6, 6, 8], heads
[1, 2, 4, 8], 4 refinement blocks, GDFN expansion 2.66, no conv biases, "WithBias" LayerNorm) whose decoder
is conditioned at three scales by prompt blocks:

* prompt generation (PGM): ``len`` learned prompt components (``prompt_param``: 1 x len x C_p x S x S) are
  mixed by softmax weights predicted from the globally pooled decoder features (``linear_layer``), resized
  bilinearly to the feature size and passed through a 3x3 conv (``conv3x3``);
* prompt interaction (PIM): the prompt is concatenated to the features, passed through one transformer block
  (``noise_level{1,2,3}``) and a 1x1 conv back to the level's width (``reduce_noise_level{1,2,3}``).

Prompt widths (C_p) are 64, 128, 320 at decoder levels 1, 2, 3 (S = 64, 32, 16, 5 components). The output is
a residual added to the input. Parameter names follow the official code (va1shn9v/PromptIR ``net/model.py``);
its release also carries ``chnl_reduce{1,2,3}`` and ``reduce_noise_channel_{1,2,3}``, 1x1 convs that its
forward pass never uses: they exist here too, unused, so the released checkpoint loads strictly.
The official checkpoint is a PyTorch Lightning file: state dict under ``state_dict``, keys prefixed ``net.``.
Input sides must be multiples of 8 (three 2x downsamplings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from models.arch.common import indexed_count
from models.arch.promptir.blocks import PatchEmbed, Resample, TransformerBlock, transformer_stage

UNUSED_REDUCE3_WIDTH = 256
"""Output width of the official (unused) ``chnl_reduce3`` conv, kept for strict loading."""


class PromptGenBlock(nn.Module):
    """Prompt generation: softmax-weighted sum of ``length`` learned prompts, resized, then a 3x3 conv."""

    def __init__(self, prompt_dim: int, length: int, size: int, feat_dim: int):
        super().__init__()
        self.prompt_param = nn.Parameter(torch.rand(1, length, prompt_dim, size, size))
        self.linear_layer = nn.Linear(feat_dim, length)
        self.conv3x3 = nn.Conv2d(prompt_dim, prompt_dim, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, feat_dim, H, W) -> prompt (N, prompt_dim, H, W)."""
        weights = F.softmax(self.linear_layer(x.mean(dim=(-2, -1))), dim=1)
        prompt = torch.einsum("nl,lchw->nchw", weights, self.prompt_param[0])
        prompt = F.interpolate(prompt, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv3x3(prompt)


class PromptIR(nn.Module):
    """PromptIR: (N, 3, H, W) degraded RGB in [0,1], H and W multiples of 8 -> restored, same shape."""

    def __init__(self, dim: int = 48, num_blocks: Sequence[int] = (4, 6, 6, 8), num_refinement_blocks: int = 4,
                 heads: Sequence[int] = (1, 2, 4, 8), ffn_expansion_factor: float = 2.66, bias: bool = False,
                 layer_norm: str = "WithBias", prompt_dims: Sequence[int] = (64, 128, 320), prompt_len: int = 5,
                 prompt_sizes: Sequence[int] = (64, 32, 16), in_channels: int = 3, out_channels: int = 3):
        super().__init__()
        d, p1, p2, p3 = dim, *prompt_dims

        def stage(width: int, head: int, depth: int) -> nn.Sequential:
            return transformer_stage(width, head, depth, ffn_expansion_factor, bias, layer_norm)

        def block(width: int) -> TransformerBlock:
            return TransformerBlock(width, heads[2], ffn_expansion_factor, bias, layer_norm)

        def conv1x1(cin: int, cout: int) -> nn.Conv2d:
            return nn.Conv2d(cin, cout, 1, bias=bias)

        self.patch_embed = PatchEmbed(in_channels, d)
        self.prompt1 = PromptGenBlock(p1, prompt_len, prompt_sizes[0], 2 * d)
        self.prompt2 = PromptGenBlock(p2, prompt_len, prompt_sizes[1], 4 * d)
        self.prompt3 = PromptGenBlock(p3, prompt_len, prompt_sizes[2], 8 * d)
        self.chnl_reduce1 = conv1x1(p1, p1)
        self.chnl_reduce2 = conv1x1(p2, p2)
        self.chnl_reduce3 = conv1x1(p3, UNUSED_REDUCE3_WIDTH)
        self.reduce_noise_channel_1 = conv1x1(d + p1, d)
        self.reduce_noise_channel_2 = conv1x1(2 * d + p2, 2 * d)
        self.reduce_noise_channel_3 = conv1x1(4 * d + UNUSED_REDUCE3_WIDTH, 4 * d)

        self.encoder_level1 = stage(d, heads[0], num_blocks[0])
        self.down1_2 = Resample(d, down=True)
        self.encoder_level2 = stage(2 * d, heads[1], num_blocks[1])
        self.down2_3 = Resample(2 * d, down=True)
        self.encoder_level3 = stage(4 * d, heads[2], num_blocks[2])
        self.down3_4 = Resample(4 * d, down=True)
        self.latent = stage(8 * d, heads[3], num_blocks[3])

        self.noise_level3 = block(8 * d + p3)
        self.reduce_noise_level3 = conv1x1(8 * d + p3, 4 * d)
        self.up4_3 = Resample(4 * d, down=False)
        self.reduce_chan_level3 = conv1x1(6 * d, 4 * d)
        self.decoder_level3 = stage(4 * d, heads[2], num_blocks[2])

        self.noise_level2 = block(4 * d + p2)
        self.reduce_noise_level2 = conv1x1(4 * d + p2, 4 * d)
        self.up3_2 = Resample(4 * d, down=False)
        self.reduce_chan_level2 = conv1x1(4 * d, 2 * d)
        self.decoder_level2 = stage(2 * d, heads[1], num_blocks[1])

        self.noise_level1 = block(2 * d + p1)
        self.reduce_noise_level1 = conv1x1(2 * d + p1, 2 * d)
        self.up2_1 = Resample(2 * d, down=False)
        self.decoder_level1 = stage(2 * d, heads[0], num_blocks[0])
        self.refinement = stage(2 * d, heads[0], num_refinement_blocks)
        self.output = nn.Conv2d(2 * d, out_channels, 3, padding=1, bias=bias)

    @staticmethod
    def _interact(x: torch.Tensor, prompt: nn.Module, block: nn.Module, reduce: nn.Module) -> torch.Tensor:
        """Prompt interaction: concat the generated prompt, one transformer block, 1x1 conv."""
        return reduce(block(torch.cat([x, prompt(x)], dim=1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        enc1 = self.encoder_level1(self.patch_embed(x))
        enc2 = self.encoder_level2(self.down1_2(enc1))
        enc3 = self.encoder_level3(self.down2_3(enc2))
        z = self.latent(self.down3_4(enc3))
        z = self._interact(z, self.prompt3, self.noise_level3, self.reduce_noise_level3)
        z = self.decoder_level3(self.reduce_chan_level3(torch.cat([self.up4_3(z), enc3], dim=1)))
        z = self._interact(z, self.prompt2, self.noise_level2, self.reduce_noise_level2)
        z = self.decoder_level2(self.reduce_chan_level2(torch.cat([self.up3_2(z), enc2], dim=1)))
        z = self._interact(z, self.prompt1, self.noise_level1, self.reduce_noise_level1)
        z = self.decoder_level1(torch.cat([self.up2_1(z), enc1], dim=1))
        return self.output(self.refinement(z)) + x


SIZES = {
    "paper": {},
    "small": {"dim": 12, "num_blocks": [1, 2, 2, 2], "num_refinement_blocks": 1, "prompt_dims": [16, 32, 64],
              "prompt_sizes": [32, 16, 8]},
}
"""Named configurations: ``paper`` is the paper's (and the official checkpoint's); ``small`` trains on a CPU
(the trained-here weights; under 1.3 M parameters)."""


def promptir(**hparams) -> PromptIR:
    """A PromptIR; defaults are the paper's (and the official checkpoint's) hyper-parameters."""
    return PromptIR(**hparams)



def detect(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """PromptIR hyper-parameters read off a state dict (``net.`` prefix already removed)."""
    dim = int(state_dict["patch_embed.proj.weight"].shape[0])
    levels = ("encoder_level1", "encoder_level2", "encoder_level3", "latent")
    hidden = int(state_dict["encoder_level1.0.ffn.project_out.weight"].shape[1])
    prompts = [state_dict[f"prompt{i}.prompt_param"] for i in (1, 2, 3)]
    return {
        "dim": dim,
        "num_blocks": [indexed_count(state_dict, lv) for lv in levels],
        "num_refinement_blocks": indexed_count(state_dict, "refinement"),
        "heads": [int(state_dict[f"{lv}.0.attn.temperature"].shape[0]) for lv in levels],
        "ffn_expansion_factor": 2.66 if int(dim * 2.66) == hidden else hidden / dim,
        "bias": "output.bias" in state_dict,
        "layer_norm": "WithBias" if "encoder_level1.0.norm1.body.bias" in state_dict else "BiasFree",
        "prompt_dims": [int(p.shape[2]) for p in prompts],
        "prompt_len": int(prompts[0].shape[1]),
        "prompt_sizes": [int(p.shape[3]) for p in prompts],
        "in_channels": int(state_dict["patch_embed.proj.weight"].shape[1]),
        "out_channels": int(state_dict["output.weight"].shape[0]),
    }
