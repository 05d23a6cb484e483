"""Defusion: visual-instructed degradation diffusion (tokenizer, instruction adapter, bridge, DDIM) on diffusers."""

from models.arch.defusion.model import SIZES, Defusion, defusion
from models.arch.defusion.tokenizer import (
           DegradationTokenizer,
           PatchDiscriminator,
           critic_loss,
           tokenizer_loss,
)

__all__ = ["SIZES", "Defusion", "DegradationTokenizer", "PatchDiscriminator", "critic_loss", "defusion",
           "tokenizer_loss"]
