"""AirNet: all-in-one restoration with a contrastive degradation encoder (CBDE) and a degradation-guided
restoration network (DGRN)."""

from models.arch.airnet.arch import SIZES, AirNet, airnet, detect

__all__ = ["SIZES", "AirNet", "airnet", "detect"]
