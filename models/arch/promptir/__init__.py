"""PromptIR: all-in-one blind restoration by prompt generation and interaction blocks on a Restormer backbone."""

from models.arch.promptir.arch import SIZES, PromptIR, detect, promptir

__all__ = ["SIZES", "PromptIR", "detect", "promptir"]
