"""Blur kernels (PSFs) for the deconvolution methods: given, built from a spec, or estimated; FFT helpers.

A kernel option is one of: None (estimate a Gaussian PSF from the image), a 2-D array or nested list (odd
sides, non-negative, sum 1: validated by ``degrade.kernels.check_kernel``), or a spec dict with one key:
``{"gaussian": sigma}`` / ``{"gaussian": [sigma_x, sigma_y, angle_deg]}``, ``{"disk": radius}``,
``{"line": [length, angle_deg]}`` (pixels, degrees; built by ``degrade.kernels``), ``{"path": "k.npy"}``.

Estimator (:func:`estimate_gaussian_sigma`): a Gaussian PSF of std s multiplies the power spectrum by
``exp(-4 pi^2 s^2 f^2)`` (f in cycles/pixel) while natural images have ``P(f) ~ c f^-beta``. The radially
averaged log power spectrum of the Hann-windowed luminance, minus the white-noise floor (from the
estimated noise std), is fitted by least squares with ``a - beta log f - 4 pi^2 s^2 f^2`` over the band where
the signal is at least 4x the floor (f in [0.02, 0.45]). It suits defocus-like, roughly isotropic blur;
give the kernel for motion blur.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from degrade.kernels import check_kernel, disk_kernel, gaussian_kernel, line_kernel
from models.estimate import estimate_sigma
from restorebench.errors import InputError

SPEC_KINDS = ("gaussian", "disk", "line", "path")


def kernel_from_option(option: Any, what: str = "kernel") -> np.ndarray | None:
    """The float32 PSF described by a kernel option (see the module docstring); None stays None."""
    if option is None:
        return None
    if isinstance(option, dict):
        if len(option) != 1 or next(iter(option)) not in SPEC_KINDS:
            raise InputError(f"{what}: spec {option!r} must have exactly one key of {list(SPEC_KINDS)}")
        kind, val = next(iter(option.items()))
        vals = [float(v) for v in (val if isinstance(val, (list, tuple)) else [val])] if kind != "path" else []
        if kind == "gaussian":
            sx, sy, ang = (vals + [vals[0], 0.0])[:3] if len(vals) == 1 else (vals + [0.0])[:3]
            return gaussian_kernel(sx, sy, ang).astype(np.float32)
        if kind == "disk":
            return disk_kernel(vals[0]).astype(np.float32)
        if kind == "line":
            if len(vals) != 2:
                raise InputError(f"{what}: line spec needs [length, angle_deg], got {val!r}")
            return line_kernel(vals[0], vals[1]).astype(np.float32)
        try:
            option = np.load(str(val), allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(f"{what}: cannot read {val!r} as a .npy kernel ({exc})") from exc
    return check_kernel(np.asarray(option, dtype=np.float64), what).astype(np.float32)


def _radial_log_power(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(frequencies, mean power per frequency ring, window energy) of a Hann-windowed HxW image."""
    h, w = gray.shape
    win = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    spec = np.abs(np.fft.rfft2((gray - gray.mean()) * win)) ** 2
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.sqrt(fy ** 2 + fx ** 2)
    edges = np.linspace(0.0, 0.5, 101)
    idx = np.digitize(f.ravel(), edges) - 1
    ok = (idx >= 0) & (idx < 100)
    power = np.bincount(idx[ok], spec.ravel()[ok], minlength=100) / np.maximum(np.bincount(idx[ok], minlength=100), 1)
    return 0.5 * (edges[1:] + edges[:-1]), power, float((win ** 2).sum())


def estimate_gaussian_sigma(img: np.ndarray) -> float:
    """Std (pixels) of the Gaussian PSF that best explains the spectrum of an HxWx3 float32 [0,1] image."""
    gray = img.mean(axis=2).astype(np.float32)
    freq, power, energy = _radial_log_power(gray)
    noise = max(estimate_sigma(img), 0.5) / 255.0
    floor = noise ** 2 * energy / 3.0
    signal = power - floor
    band = (freq >= 0.02) & (freq <= 0.45) & (signal > 4 * floor)
    if band.sum() < 4:
        return 0.0
    f = freq[band]
    design = np.stack([np.ones_like(f), -np.log(f), -4 * math.pi ** 2 * f ** 2], axis=1)
    coef, *_ = np.linalg.lstsq(design, np.log(signal[band]), rcond=None)
    return float(math.sqrt(max(coef[2], 0.0)))


def estimate_kernel(img: np.ndarray) -> np.ndarray:
    """An isotropic Gaussian PSF from :func:`estimate_gaussian_sigma` (the delta kernel for sharp images)."""
    s = estimate_gaussian_sigma(img)
    return gaussian_kernel(s, s).astype(np.float32) if s > 0.3 else np.ones((1, 1), np.float32)


def pad_reflect(img: np.ndarray, pad: int) -> np.ndarray:
    """Reflect-101 pad of an HxWxC image by ``pad`` pixels on every side (mirror repeated for small images)."""
    out = img
    left = pad
    while left > 0:
        step = min(left, out.shape[0] - 1, out.shape[1] - 1)
        out = np.pad(out, ((step, step), (step, step), (0, 0)), mode="reflect")
        left -= step
    return out


def otf(kernel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """rfft2 of ``kernel`` zero-padded to ``shape`` with its centre moved to (0, 0) (circular convolution)."""
    kh, kw = kernel.shape
    big = np.zeros(shape, np.float64)
    big[:kh, :kw] = kernel
    big = np.roll(big, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return np.fft.rfft2(big)


def deconv_padding(kernel: np.ndarray) -> int:
    """Border (pixels) added before FFT deconvolution: three kernel radii, at least 16."""
    return max(16, 3 * (max(kernel.shape) // 2))
