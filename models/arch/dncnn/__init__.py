"""DnCNN family: DnCNN-S/-B (gray or color), FDnCNN (noise-level map input) and DnCNN-3 (one gray model for
Gaussian noise, JPEG deblocking and bicubic x2-x4 super-resolution)."""

from models.arch.dncnn.arch import SIZES, DnCNN, detect, dncnn, fdncnn

__all__ = ["SIZES", "DnCNN", "detect", "dncnn", "fdncnn"]
