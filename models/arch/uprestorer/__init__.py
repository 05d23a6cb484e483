"""Up-Restorer: a conditional diffusion model whose sampler unrolls ADMM on a unified degradation model."""

from models.arch.uprestorer.arch import SIZES, UpRestorer, detect, uprestorer

__all__ = ["SIZES", "UpRestorer", "detect", "uprestorer"]
