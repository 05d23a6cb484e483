"""Diff-Restorer: CLIP visual prompts, an image-guided control module and a degradation-aware decoder around a
frozen Stable Diffusion 1.5 on diffusers."""

from models.arch.diffrestorer.arch import (
    CONFIGS,
    SIZES,
    DiffRestorer,
    diffrestorer,
    read_checkpoint,
    trainable_parameters,
    trained_state_dict,
    training_losses,
)

__all__ = ["CONFIGS", "SIZES", "DiffRestorer", "diffrestorer", "read_checkpoint", "trainable_parameters",
           "trained_state_dict", "training_losses"]
