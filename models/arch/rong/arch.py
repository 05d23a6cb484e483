"""Rong et al., "All-In-One Image Restoration" (AAAI 2025), written from the method's description
(models/arch/rong/README.md lists what follows it and what was chosen here).

A 4-level U-Net (widths dim, 2 dim, 4 dim, 8 dim) of multi-head dual self-attention (MDSA) blocks whose decoder
is conditioned at three scales by prompt blocks, and a degradation classifier on the input image:

* MDSA block: ``x + alpha * CA(LN(x)) + beta * SA(LN(x))`` (one output projection) then ``x + GDFN(LN(x))``:
  channel attention (Restormer's transposed attention) and spatial attention (multi-head self-attention
  among the pixels of non-overlapping ``WINDOW`` x ``WINDOW`` windows) run in parallel on shared Q, K, V
  (1x1 then depthwise 3x3 convs) and are fused by two learnable scalars ``alpha``, ``beta``;
* degradation classifier: a ResNet (paper size: torchvision's ResNet-50 layout; small size: three stages of
  basic residual blocks) mapping the degraded image to one logit per degradation; its sigmoid is the
  degradation vector d (N, K);
* prompt block (decoder levels 3, 2, 1): prompt weights = softmax over ``prompt_len`` learned components of a
  1x1 conv of [global-average-pooled features, d]; the weighted components are resized to the features and
  passed through a 3x3 conv (prompt generation); the prompt is concatenated to the features, passed through
  one MDSA block and a 1x1 conv back to the level's width (prompt interaction).

The output is a residual added to the input. Input sides must be multiples of 8 (three 2x downsamplings);
windows that overhang a feature map are padded and the padded keys are masked out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.resnet import BasicBlock, resnet50

from models.arch.common import sequence_length
from models.arch.promptir.arch import PromptGenBlock, prompted_backbone_hparams
from models.arch.promptir.blocks import (
    GDFN,
    ChannelLayerNorm,
    PatchEmbed,
    Resample,
    channel_attention,
    qkv_convs,
)

WINDOW = 8
"""Side in pixels of the spatial-attention windows (at every level)."""
FUSION_INIT = 0.5
"""Initial value of both fusion weights alpha (channel branch) and beta (spatial branch)."""
LEVELS = 4


def window_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, heads: int, window: int) -> torch.Tensor:
    """Multi-head softmax self-attention among the pixels of each ``window`` x ``window`` window of (N, C, H, W)
    maps (scaled dot product, scale (C/heads)^-1/2). Maps are zero-padded to whole windows; padded keys get no
    weight and padded outputs are cropped."""
    n, c, h, w = q.shape
    ph, pw = -h % window, -w % window
    valid = F.pad(torch.ones(1, 1, h, w, dtype=q.dtype, device=q.device), (0, pw, 0, ph))
    gh, gw = (h + ph) // window, (w + pw) // window

    def windows(t: torch.Tensor) -> torch.Tensor:
        """(N, C', H+ph, W+pw) -> (N, windows, heads or 1, window^2, C'/heads)."""
        split = heads if t.shape[1] == c else 1
        t = t.reshape(t.shape[0], split, t.shape[1] // split, gh, window, gw, window)
        return t.permute(0, 3, 5, 1, 4, 6, 2).reshape(t.shape[0], gh * gw, split, window * window, -1)

    qw, kw, vw = (windows(F.pad(t, (0, pw, 0, ph))) for t in (q, k, v))
    logits = qw @ kw.transpose(-2, -1) * (c // heads) ** -0.5
    keep = windows(valid).transpose(-2, -1) > 0
    out = logits.masked_fill(~keep, float("-inf")).softmax(dim=-1) @ vw
    out = out.reshape(n, gh, gw, heads, window, window, c // heads).permute(0, 3, 6, 1, 4, 2, 5)
    return out.reshape(n, c, gh * window, gw * window)[..., :h, :w]


class DualAttention(nn.Module):
    """Multi-head dual self-attention: channel and window-spatial attention on shared Q, K, V, fused by two
    learnable weights, then a 1x1 output projection. (N, dim, H, W) -> same."""

    def __init__(self, dim: int, heads: int, bias: bool):
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv, self.qkv_dwconv = qkv_convs(dim, bias)
        self.alpha = nn.Parameter(torch.tensor(FUSION_INIT))
        self.beta = nn.Parameter(torch.tensor(FUSION_INIT))
        self.project_out = nn.Conv2d(dim, dim, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1)
        channel = channel_attention(q, k, v, self.temperature)
        spatial = window_attention(q, k, v, self.heads, WINDOW)
        return self.project_out(self.alpha * channel + self.beta * spatial)


class DualBlock(nn.Module):
    """MDSA block: LN -> dual attention -> residual, LN -> GDFN -> residual."""

    def __init__(self, dim: int, heads: int, expansion: float, bias: bool):
        super().__init__()
        self.norm1 = ChannelLayerNorm(dim)
        self.attn = DualAttention(dim, heads, bias)
        self.norm2 = ChannelLayerNorm(dim)
        self.ffn = GDFN(dim, expansion, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


def dual_stage(dim: int, heads: int, depth: int, expansion: float, bias: bool) -> nn.Sequential:
    """``depth`` MDSA blocks in a Sequential."""
    return nn.Sequential(*[DualBlock(dim, heads, expansion, bias) for _ in range(depth)])


class SmallResNet(nn.Module):
    """A ResNet of basic residual blocks: stride-2 3x3 stem to ``widths[0]``, one stage per width (each after
    the first halves the resolution), global average pool, linear head. (N, 3, H, W) -> logits (N, classes)."""

    def __init__(self, widths: Sequence[int], depth: int, classes: int):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        stages, cin = [], widths[0]
        for i, width in enumerate(widths):
            stride = 1 if i == 0 else 2
            blocks = []
            for j in range(depth):
                down = None
                if j == 0 and (stride != 1 or cin != width):
                    down = nn.Sequential(nn.Conv2d(cin, width, 1, stride=stride, bias=False), nn.BatchNorm2d(width))
                blocks.append(BasicBlock(cin, width, stride if j == 0 else 1, down))
                cin = width
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.stages(self.stem(x)).mean(dim=(-2, -1)))


class PromptInteraction(nn.Module):
    """Prompt block of one decoder level: generation from the pooled features and the degradation vector,
    then concatenation, one MDSA block and a 1x1 conv back to ``feat_dim``."""

    def __init__(self, feat_dim: int, prompt_dim: int, length: int, size: int, degradations: int, heads: int,
                 expansion: float, bias: bool):
        super().__init__()
        self.generate = PromptGenBlock(prompt_dim, length, size, feat_dim + degradations)
        self.block = DualBlock(feat_dim + prompt_dim, heads, expansion, bias)
        self.reduce = nn.Conv2d(feat_dim + prompt_dim, feat_dim, 1, bias=bias)

    def forward(self, x: torch.Tensor, degradation: torch.Tensor) -> torch.Tensor:
        """x (N, feat_dim, H, W), degradation (N, K) in [0,1] -> (N, feat_dim, H, W)."""
        pooled = torch.cat([x.mean(dim=(-2, -1)), degradation], dim=1)
        prompt = self.generate.compose(self.generate.linear_layer(pooled), x.shape[-2:])
        return self.reduce(self.block(torch.cat([x, prompt], dim=1)))


class Rong(nn.Module):
    """(N, 3, H, W) degraded RGB in [0,1], H and W multiples of 8 -> restored, same shape.

    ``classifier_widths``: None for torchvision's ResNet-50 layout, else the stage widths of a
    :class:`SmallResNet` with ``classifier_depth`` blocks a stage. ``degradations``: classifier outputs (the
    registry entry's tasks)."""

    def __init__(self, dim: int = 48, num_blocks: Sequence[int] = (4, 6, 6, 8), num_refinement_blocks: int = 4,
                 heads: Sequence[int] = (1, 2, 4, 8), ffn_expansion_factor: float = 2.66, bias: bool = False,
                 prompt_dims: Sequence[int] = (64, 128, 320), prompt_len: int = 5,
                 prompt_sizes: Sequence[int] = (64, 32, 16), degradations: int = 3,
                 classifier_widths: Sequence[int] | None = None, classifier_depth: int = 1):
        super().__init__()
        widths = [dim * 2 ** i for i in range(LEVELS)]

        def stage(level: int, depth: int) -> nn.Sequential:
            return dual_stage(widths[level], heads[level], depth, ffn_expansion_factor, bias)

        self.classifier = (resnet50(weights=None, num_classes=degradations) if classifier_widths is None
                           else SmallResNet(classifier_widths, classifier_depth, degradations))
        self.patch_embed = PatchEmbed(3, dim)
        self.encoders = nn.ModuleList([stage(i, num_blocks[i]) for i in range(LEVELS - 1)])
        self.downs = nn.ModuleList([Resample(widths[i], down=True) for i in range(LEVELS - 1)])
        self.latent = stage(LEVELS - 1, num_blocks[-1])
        self.prompts = nn.ModuleList([
            PromptInteraction(widths[i + 1], prompt_dims[i], prompt_len, prompt_sizes[i], degradations,
                              heads[i + 1], ffn_expansion_factor, bias) for i in range(LEVELS - 1)])
        self.ups = nn.ModuleList([Resample(widths[i + 1], down=False) for i in range(LEVELS - 1)])
        self.fuse = nn.ModuleList([nn.Conv2d(2 * widths[i], widths[i], 1, bias=bias) for i in range(LEVELS - 1)])
        self.decoders = nn.ModuleList([stage(i, num_blocks[i]) for i in range(LEVELS - 1)])
        self.refinement = stage(0, num_refinement_blocks)
        self.output = nn.Conv2d(dim, 3, 3, padding=1, bias=bias)

    def restore_and_classify(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (N, 3, H, W) in [0,1] -> (restored (N, 3, H, W), degradation logits (N, degradations))."""
        logits = self.classifier(x)
        degradation = torch.sigmoid(logits)
        skips, z = [], self.patch_embed(x)
        for encoder, down in zip(self.encoders, self.downs):
            z = encoder(z)
            skips.append(z)
            z = down(z)
        z = self.latent(z)
        for i in reversed(range(LEVELS - 1)):
            z = self.prompts[i](z, degradation)
            z = self.decoders[i](self.fuse[i](torch.cat([self.ups[i](z), skips[i]], dim=1)))
        return self.output(self.refinement(z)) + x, logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.restore_and_classify(x)[0]


SIZES = {
    "paper": {},
    "small": {"dim": 12, "num_blocks": [1, 2, 2, 2], "num_refinement_blocks": 1, "prompt_dims": [16, 32, 64],
              "prompt_sizes": [16, 8, 8], "classifier_widths": [8, 16, 32], "classifier_depth": 1},
}
"""Named configurations: ``paper`` (the Restormer/PromptIR-scale backbone with a ResNet-50 classifier; see the
README for what the paper leaves open) and ``small`` (trains on a CPU; 1.21 M parameters, a float32 file under 5 MB)."""


def rong(**hparams) -> Rong:
    """A Rong et al. network; defaults are the ``paper`` size."""
    return Rong(**hparams)


def detect(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Rong hyper-parameters read off a state dict."""
    stages = [f"encoders.{i}" for i in range(LEVELS - 1)] + ["latent"]
    prompts = [f"prompts.{i}.generate.prompt_param" for i in range(LEVELS - 1)]
    small = "classifier.stem.0.weight" in state_dict
    return {
        **prompted_backbone_hparams(state_dict, stages, prompts),
        "degradations": int(state_dict["classifier.fc.weight"].shape[0]),
        "classifier_widths": ([int(state_dict[f"classifier.stages.{i}.0.conv1.weight"].shape[0])
                               for i in range(sequence_length(state_dict, "classifier.stages"))] if small else None),
        "classifier_depth": sequence_length(state_dict, "classifier.stages.0") if small else 1,
    }
