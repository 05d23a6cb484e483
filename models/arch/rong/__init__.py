"""Rong et al. all-in-one restoration: a U-Net of dual (channel + spatial) self-attention blocks with prompt
blocks in the decoder, guided by a degradation classifier."""

from models.arch.rong.arch import SIZES, Rong, detect, rong

__all__ = ["SIZES", "Rong", "detect", "rong"]
