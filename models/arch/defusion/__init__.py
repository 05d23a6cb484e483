"""Defusion: visual-instructed degradation diffusion (tokenizer, instruction adapter, bridge, DDIM) on diffusers."""

from models.arch.defusion.model import SIZES, Defusion, defusion, detect
from models.arch.defusion.stage import TokenizerStage, defusion_tokenizer
from models.arch.defusion.tokenizer import (
           DegradationTokenizer,
           PatchDiscriminator,
           critic_loss,
           tokenizer_loss,
)

__all__ = ["SIZES", "Defusion", "DegradationTokenizer", "PatchDiscriminator", "TokenizerStage", "critic_loss",
           "defusion", "defusion_tokenizer", "detect", "tokenizer_loss"]
