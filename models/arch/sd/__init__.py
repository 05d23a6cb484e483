"""Latent-diffusion pieces shared by the diffusion-based restorers (``autodir``, ``diffrestorer``).

* :mod:`models.arch.sd.parts`: Stable Diffusion 1.x UNet, VAE and noise schedule on diffusers (the paper
  configurations and tiny ones of the same classes for tests) and VAE encode/decode in [0,1] image units.
* :mod:`models.arch.sd.clip`: CLIP on open_clip_torch (ViT-L/14 and a tiny configuration), per-token text
  features, normalized image and text embeddings, the image preprocessing CLIP expects, and the conversion of
  Hugging Face CLIP checkpoints to open_clip's layout.
* :mod:`models.arch.sd.backbones`: those configurations by size name (``paper``, ``tiny``).

diffusers and open_clip_torch are optional dependencies (``pip install 'restorebench[diffusion]'``); a missing
one raises a one-line InputError naming the install command.
"""
