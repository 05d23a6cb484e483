"""The Stable Diffusion and CLIP configurations the diffusion-based restorers are built on, by size name:
``paper`` (SD 1.5 UNet and VAE, CLIP ViT-L/14) and ``tiny`` (the same classes at test size)."""

from models.arch.sd.clip import TINY_CLIP, VIT_L14
from models.arch.sd.parts import SD15_UNET, SD15_VAE, TINY_UNET, TINY_VAE

BACKBONES = {
    "paper": {"unet": SD15_UNET, "vae": SD15_VAE, "clip": VIT_L14},
    "tiny": {"unet": TINY_UNET, "vae": TINY_VAE, "clip": TINY_CLIP},
}
