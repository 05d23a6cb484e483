"""PReNet: progressive recurrent deraining network."""

from models.arch.prenet.arch import PReNet, detect, prenet

__all__ = ["PReNet", "detect", "prenet"]
