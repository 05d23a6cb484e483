"""CLIP on open_clip_torch: configurations, tokenizer, per-token text features, image and text embeddings.

``VIT_L14`` is OpenAI's CLIP ViT-L/14 (224 px, patch 14, 24x1024 vision layers, 12x768 text layers, 768-wide
joint space, QuickGELU): its text transformer is Stable Diffusion 1.x's text encoder, so its per-token features
(77 x 768) are what the SD UNet cross-attends to. ``TINY_CLIP`` is a small configuration of the same class for
tests (same tokenizer and 77-token context). Images are resized (bicubic, antialiased) to the model's input size
and normalized with CLIP's mean and std; no crop.
The OpenAI ViT-L/14 weights in open_clip's layout are found by the resolver as ``CLIP_VIT_L14``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from models.arch.sd.deps import optional
from models.arch.sd.parts import read_safetensors
from models.network import load_strict
from restorebench.weights import WeightFile

VIT_L14 = {"embed_dim": 768, "quick_gelu": True,
           "vision_cfg": {"image_size": 224, "layers": 24, "width": 1024, "patch_size": 14},
           "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 768, "heads": 12, "layers": 12}}
TINY_CLIP = {"embed_dim": 32, "quick_gelu": True,
             "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 8},
             "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
CLIP_VIT_L14 = WeightFile(
    name="open_clip_ViT-L-14-openai.safetensors", sha256=None, license="MIT",
    source="Hugging Face timm/vit_large_patch14_clip_224.openai : open_clip_model.safetensors (rename it)")


def build_clip(config: dict) -> torch.nn.Module:
    """A randomly initialized ``open_clip.CLIP`` of ``config`` (one of the dicts above)."""
    open_clip = optional("open_clip")
    from open_clip.model import CLIPTextCfg, CLIPVisionCfg

    return open_clip.CLIP(embed_dim=config["embed_dim"], vision_cfg=CLIPVisionCfg(**config["vision_cfg"]),
                          text_cfg=CLIPTextCfg(**config["text_cfg"]), quick_gelu=config["quick_gelu"])


def load_clip(model: torch.nn.Module, path: str | os.PathLike) -> None:
    """Load open_clip-layout weights from a .safetensors file into ``model`` (strict)."""
    load_strict(model, read_safetensors(path), f"CLIP <- {path}")


def tokenize(texts: Sequence[str], device: torch.device | str = "cpu") -> torch.Tensor:
    """CLIP BPE token ids (Nx77 int64, start/end tokens, zero padded) of ``texts``."""
    return optional("open_clip").tokenize(list(texts)).to(device)


def text_tokens(model: torch.nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """Per-token features (N x 77 x width) after the final layer norm: SD's cross-attention context."""
    x = model.token_embedding(tokens) + model.positional_embedding
    x = model.transformer(x, attn_mask=model.attn_mask)
    return model.ln_final(x)


def text_embeddings(model: torch.nn.Module, texts: Sequence[str]) -> torch.Tensor:
    """Unit-norm joint-space embeddings (N x embed_dim) of ``texts``."""
    return model.encode_text(tokenize(texts, model.logit_scale.device), normalize=True)


def preprocess(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """An Nx3xHxW batch in [0,1] resized to the model's input size and normalized with CLIP's mean/std."""
    size = model.visual.image_size
    x = F.interpolate(x, size=tuple(size), mode="bicubic", align_corners=False, antialias=True)
    mean = torch.tensor(CLIP_MEAN, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return (x - mean) / std


def image_embeddings(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Unit-norm joint-space embeddings (N x embed_dim) of an Nx3xHxW batch in [0,1]."""
    return model.encode_image(preprocess(model, x), normalize=True)


HF_LAYER = {"self_attn.out_proj": "attn.out_proj", "layer_norm1": "ln_1", "layer_norm2": "ln_2",
            "mlp.fc1": "mlp.c_fc", "mlp.fc2": "mlp.c_proj"}
HF_TOP = {"text_model.embeddings.token_embedding.weight": "token_embedding.weight",
          "text_model.embeddings.position_embedding.weight": "positional_embedding",
          "text_model.final_layer_norm": "ln_final", "vision_model.embeddings.class_embedding": "visual.class_embedding",
          "vision_model.embeddings.patch_embedding.weight": "visual.conv1.weight",
          "vision_model.embeddings.position_embedding.weight": "visual.positional_embedding",
          "vision_model.pre_layrnorm": "visual.ln_pre", "vision_model.post_layernorm": "visual.ln_post",
          "logit_scale": "logit_scale"}
HF_TOWERS = {"text_model.encoder.layers.": "transformer.resblocks.",
             "vision_model.encoder.layers.": "visual.transformer.resblocks."}


def _hf_key(key: str) -> str | None:
    """open_clip name of a Hugging Face CLIPModel parameter (None for q/k/v parts and position_ids)."""
    for hf, oc in HF_TOP.items():
        if key == hf or key.startswith(hf + "."):
            return oc + key[len(hf):]
    for hf, oc in HF_TOWERS.items():
        if key.startswith(hf):
            index, _, rest = key[len(hf):].partition(".")
            for part, new in HF_LAYER.items():
                if rest.startswith(part + "."):
                    return f"{oc}{index}.{new}{rest[len(part):]}"
    return None


def hf_clip_to_open_clip(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A Hugging Face ``CLIPModel`` state dict in open_clip's ``CLIP`` layout.

    q/k/v projections are stacked into ``attn.in_proj_weight``/``in_proj_bias``, the projection matrices are
    transposed (``text_projection``, ``visual.proj``), ``position_ids`` buffers are dropped.
    """
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if (new := _hf_key(key)) is not None:
            out[new] = value
    for hf, oc in HF_TOWERS.items():
        layers = sorted({int(k[len(hf):].partition(".")[0]) for k in state if k.startswith(hf)})
        for i in layers:
            for kind in ("weight", "bias"):
                parts = [state[f"{hf}{i}.self_attn.{p}_proj.{kind}"] for p in "qkv"]
                out[f"{oc}{i}.attn.in_proj_{kind}"] = torch.cat(parts, dim=0)
    out["text_projection"] = state["text_projection.weight"].t().contiguous()
    out["visual.proj"] = state["visual_projection.weight"].t().contiguous()
    return out
