"""AOD-Net: all-in-one dehazing by joint estimation of transmission and airlight (K-estimation)."""

from models.arch.aodnet.arch import AODNet, aodnet

__all__ = ["AODNet", "aodnet"]
