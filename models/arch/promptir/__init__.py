"""PromptIR: all-in-one blind restoration by prompt generation and interaction blocks on a Restormer backbone."""

from models.arch.promptir.arch import PromptIR, detect, promptir

__all__ = ["PromptIR", "detect", "promptir"]
