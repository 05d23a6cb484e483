"""FFDNet: fast and flexible denoising with a noise-level map on a pixel-unshuffled image."""

from models.arch.ffdnet.arch import FFDNet, detect, ffdnet

__all__ = ["FFDNet", "detect", "ffdnet"]
