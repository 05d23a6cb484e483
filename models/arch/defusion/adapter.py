"""Defusion's visual-instruction adapter: a copied cross-attention whose keys and values are instruction tokens.

Every cross-attention layer (``attn2``) of the diffusers U-Net gets an :class:`InstructionAttnProcessor`: its
own cross-attention attends to a learned null context (the U-Net has no text), and a second cross-attention,
whose key and value projections start as copies of the layer's, attends to the degradation tokens; the two
outputs are added before the layer's output projection. The U-Net's ``encoder_hidden_states`` carry both:
the null context first (``n_null`` tokens), then the instruction tokens.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    n, length, dim = x.shape
    return x.view(n, length, heads, dim // heads).transpose(1, 2)


class InstructionAttnProcessor(nn.Module):
    """diffusers attention processor of a cross-attention layer ``attn`` with an instruction branch."""

    def __init__(self, attn: nn.Module, n_null: int):
        super().__init__()
        self.n_null = n_null
        self.to_k_ins = nn.Linear(attn.to_k.in_features, attn.to_k.out_features, bias=attn.to_k.bias is not None)
        self.to_v_ins = nn.Linear(attn.to_v.in_features, attn.to_v.out_features, bias=attn.to_v.bias is not None)
        self.to_k_ins.load_state_dict(attn.to_k.state_dict())
        self.to_v_ins.load_state_dict(attn.to_v.state_dict())

    def __call__(self, attn: nn.Module, hidden_states: torch.Tensor, encoder_hidden_states: torch.Tensor,
                 attention_mask: torch.Tensor | None = None, temb: torch.Tensor | None = None) -> torch.Tensor:
        null, ins = encoder_hidden_states[:, :self.n_null], encoder_hidden_states[:, self.n_null:]
        q = _heads(attn.to_q(hidden_states), attn.heads)
        out = F.scaled_dot_product_attention(q, _heads(attn.to_k(null), attn.heads), _heads(attn.to_v(null), attn.heads))
        out = out + F.scaled_dot_product_attention(q, _heads(self.to_k_ins(ins), attn.heads),
                                                   _heads(self.to_v_ins(ins), attn.heads))
        out = out.transpose(1, 2).flatten(2).to(q.dtype)
        return attn.to_out[1](attn.to_out[0](out))


def install_adapter(unet: nn.Module, n_null: int) -> None:
    """Give every cross-attention layer of a diffusers U-Net an instruction branch (others keep theirs)."""
    procs = {}
    for name, proc in unet.attn_processors.items():
        if name.endswith("attn2.processor"):
            attn = unet.get_submodule(name.removesuffix(".processor"))
            procs[name] = InstructionAttnProcessor(attn, n_null)
        else:
            procs[name] = proc
    unet.set_attn_processor(procs)


class InstructionProjection(nn.Module):
    """Degradation tokens (N, T, D) -> the U-Net's context: the learned null context then projected tokens."""

    def __init__(self, token_dim: int, context_dim: int, n_null: int = 4):
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(token_dim, context_dim), nn.LayerNorm(context_dim))
        self.null = nn.Parameter(torch.randn(1, n_null, context_dim) * 0.02)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.null.expand(tokens.shape[0], -1, -1), self.proj(tokens)], dim=1)
