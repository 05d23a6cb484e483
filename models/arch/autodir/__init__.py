"""AutoDIR: CLIP blind image-quality assessment, a latent-diffusion all-in-one restorer on diffusers, and a
structural-correction module."""

from models.arch.autodir.arch import CONFIGS, SIZES, AutoDIR, autodir, read_checkpoint, training_losses
from models.arch.autodir.biqa import AUTODIR_LABELS, BIQA, biqa_loss, finetune_step, zero_shot_biqa

__all__ = ["AUTODIR_LABELS", "BIQA", "CONFIGS", "SIZES", "AutoDIR", "autodir", "biqa_loss", "finetune_step",
           "read_checkpoint", "training_losses", "zero_shot_biqa"]
