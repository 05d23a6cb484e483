"""Zero-DCE: zero-reference deep curve estimation for low-light enhancement."""

from models.arch.zerodce.arch import ZeroDCE, detect, zerodce

__all__ = ["ZeroDCE", "detect", "zerodce"]
