"""Scoring protocols: every convention behind a published PSNR/SSIM number, named and reportable.

Published numbers for the same restored images differ by several tenths of a dB because papers score with
different conventions. A :class:`Protocol` fixes all of them:

- geometry: ``crop_multiple`` (crop both images to a multiple of N from the top-left, as AirNet/PromptIR do
  when loading) and ``crop_border`` (drop that many pixels on every side, as BasicSR does for SR);
- data: ``quantize`` the RGB values to the 256 levels of uint8 by ``"round"`` or ``"trunc"`` (truncation),
  or keep the floats (``"none"``);
- color: ``"rgb"`` (all three channels), ``"y601"`` (BT.601 limited-range luma ``16 + 65.481 R + 128.553 G
  + 24.966 B`` on a 0-255 scale, BasicSR's and MATLAB's ``rgb2ycbcr``) or ``"yiq"`` (``0.299 R + 0.587 G +
  0.114 B``, full range, pyiqa's default); ``ssim_round`` rounds the SSIM input (after the colour
  conversion, on the 0-255 scale) to integer levels, as pyiqa's SSIM and MS-SSIM do;
- SSIM: window ``"gaussian11"`` (11x11, sigma 1.5, Wang et al. 2004) or ``"uniform7"`` (7x7 box, skimage's
  default); ``ssim_covariance`` ``"population"`` (divide by N, the paper) or ``"sample"`` (N-1, skimage's
  default); ``ssim_clamp_cs`` (pyiqa clamps the contrast-structure map at 0).

The geometry and quantization apply to every metric of a protocol (they define the images being scored);
the color settings apply to the pixel metrics (PSNR, SSIM, MS-SSIM).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch

from restorebench.errors import InputError

PEAK = 255.0
"""The 0-255 scale of uint8 levels."""
TRUNC_SLACK = 1e-3
"""Truncation counts a value within this many levels below an integer as that integer: k/255 stored as
float32 and multiplied back by 255 may land a hair below k."""
COLORS = ("rgb", "y601", "yiq")
QUANTIZE = ("none", "round", "trunc")
WINDOWS = ("gaussian11", "uniform7")
COVARIANCES = ("population", "sample")


@dataclass(frozen=True)
class Protocol:
    """All conventions of one way of scoring (see the module docstring for each field's meaning)."""

    name: str
    source: str
    psnr_color: str = "rgb"
    ssim_color: str = "rgb"
    quantize: str = "none"
    ssim_round: bool = False
    crop_border: int = 0
    crop_multiple: int = 1
    ssim_window: str = "gaussian11"
    ssim_covariance: str = "population"
    ssim_clamp_cs: bool = False
    psnr_eps: float = 0.0
    """Added to the MSE (on the [0,1] scale) before the log: pyiqa's 1e-8 caps identical images at 80 dB."""

    def __post_init__(self) -> None:
        for field_, value, allowed in (
            ("psnr_color", self.psnr_color, COLORS),
            ("ssim_color", self.ssim_color, COLORS),
            ("quantize", self.quantize, QUANTIZE),
            ("ssim_window", self.ssim_window, WINDOWS),
            ("ssim_covariance", self.ssim_covariance, COVARIANCES),
        ):
            if value not in allowed:
                raise InputError(
                    f"protocol {self.name!r}: {field_}={value!r}; choose one of {', '.join(allowed)}"
                )
        if self.crop_border < 0 or self.crop_multiple < 1:
            raise InputError(f"protocol {self.name!r}: crop_border must be >= 0 and crop_multiple >= 1")

    def scored_size(self, height: int, width: int) -> tuple[int, int]:
        """(height, width) in pixels left of an image after ``crop_multiple`` and ``crop_border``."""
        m, b = self.crop_multiple, self.crop_border
        return max(height // m * m - 2 * b, 0), max(width // m * m - 2 * b, 0)

    def describe(self) -> str:
        """One line: colour spaces, quantization, border crop and SSIM window of this protocol."""
        colour = {"rgb": "RGB", "y601": "Y (BT.601 limited range)", "yiq": "YIQ luma"}
        quant = {"none": "float RGB (no quantization)", "round": "uint8 by rounding", "trunc": "uint8 by truncation"}
        crop = [f"border crop {self.crop_border} px"] + (
            [f"crop to a multiple of {self.crop_multiple}"] if self.crop_multiple > 1 else [])
        window = {"gaussian11": "11x11 Gaussian sigma 1.5", "uniform7": "7x7 box"}[self.ssim_window]
        return (f"{self.name}: {quant[self.quantize]}; PSNR on {colour[self.psnr_color]}, SSIM on "
                f"{colour[self.ssim_color]}{' rounded to levels' if self.ssim_round else ''} with a {window} "
                f"window, {self.ssim_covariance} covariance; {', '.join(crop)}")

    def to_dict(self) -> dict:
        """All fields as a JSON-serializable dict (for reports and parquet metadata)."""
        return asdict(self)

    def with_(self, **changes) -> Protocol:
        """A copy with some conventions changed (the name should change too when it is reported)."""
        return replace(self, **changes)


PROTOCOLS: dict[str, Protocol] = {
    p.name: p
    for p in (
        Protocol(
            name="basicsr",
            source="BasicSR basicsr/metrics/psnr_ssim.py (calculate_psnr/calculate_ssim, "
            "test_y_channel=True): uint8 images (tensor2img rounds), Y of BT.601 limited range, border "
            "crop, Gaussian 11x11 sigma 1.5 SSIM on the 0-255 scale; the usual crop_border equals the SR "
            "scale (0 here, override per task)",
            psnr_color="y601",
            ssim_color="y601",
            quantize="round",
        ),
        Protocol(
            name="promptir",
            source="PromptIR/AirNet utils (crop_img base=16 at load; compute_psnr_ssim: skimage "
            "peak_signal_noise_ratio and structural_similarity(data_range=1, channel_axis) on RGB floats "
            "clamped to [0,1])",
            crop_multiple=16,
            ssim_window="uniform7",
            ssim_covariance="sample",
        ),
        Protocol(
            name="pyiqa",
            source="pyiqa 0.1.16 defaults: psnr on RGB floats with eps 1e-8; ssim and ms_ssim on full-range "
            "YIQ luma rounded to 0-255 levels, Gaussian 11x11 sigma 1.5, contrast-structure map clamped at 0",
            ssim_color="yiq",
            ssim_round=True,
            ssim_clamp_cs=True,
            psnr_eps=1e-8,
        ),
        Protocol(
            name="rgb",
            source="plain RGB float conventions (Wang et al. 2004 SSIM with the Gaussian window, no crop, no "
            "quantization)",
        ),
    )
}
"""Shipped protocols by name."""


def get_protocol(name: str | Protocol) -> Protocol:
    """The shipped protocol ``name`` (a Protocol passes through); unknown names raise InputError."""
    if isinstance(name, Protocol):
        return name
    if name not in PROTOCOLS:
        raise InputError(f"unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}")
    return PROTOCOLS[name]


def list_protocols() -> list[str]:
    """Names of the shipped protocols."""
    return list(PROTOCOLS)


def crop(x: torch.Tensor, protocol: Protocol) -> torch.Tensor:
    """The view of ``x`` (...xHxW) a protocol scores: cropped to a multiple of ``crop_multiple`` (top-left
    kept), then ``crop_border`` pixels dropped per side."""
    m = protocol.crop_multiple
    if m > 1:
        x = x[..., : x.shape[-2] // m * m, : x.shape[-1] // m * m]
    b = protocol.crop_border
    if b:
        x = x[..., b:-b, b:-b]
    return x


def prepare(x: torch.Tensor, protocol: Protocol) -> torch.Tensor:
    """Apply a protocol's geometry and quantization: crop to a multiple of ``crop_multiple`` (top-left kept),
    drop ``crop_border`` pixels per side, quantize to 256 levels. Nx3xHxW in [0,1] -> float64 in [0,1]."""
    x = crop(x, protocol).to(torch.float64)
    if protocol.quantize == "round":
        x = torch.round(x.clamp(0.0, 1.0) * PEAK) / PEAK
    elif protocol.quantize == "trunc":
        x = torch.floor(x.clamp(0.0, 1.0) * PEAK + TRUNC_SLACK) / PEAK
    return x
