"""Depth layers of falling particles (rain streaks, snow flakes), shared by the rain and snow operators.

A layer is a shape kernel (peak 1: the opacity of one particle at full strength), a density
(particle centres per pixel) and an opacity. Rendering scatters centres uniformly over the image and
the kernel radius around it (so particles enter from the borders) and convolves them with the kernel:

* numpy (and torch batches on the CPU, which run the numpy path per sample): ``Binomial(area, density)``
  centres drawn from a numpy generator, rendered by :func:`degrade.filtering.splat` (cost ~ particles x
  kernel taps, far below one image-sized filter);
* torch batches on other devices: a Bernoulli(density) impulse image per layer from a ``torch.Generator``
  on the device, all layers and samples convolved at once by circular FFT convolution
  (:func:`render_layers_batch`).

Both give every particle an amplitude ``opacity * U[AMP_LOW, 1)``; the two agree in distribution
(coverage, mean opacity), not pixel by pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.signal import convolve2d

from degrade.filtering import pad_kernels, splat
from degrade.ops.haze.batch import upsample
from degrade.ops.haze.functional import coarse_synthetic_depths, depth_draws
from restorebench.engine import map_chunks
from restorebench.jit import compiled
from restorebench.seeding import field_rng

AMP_LOW = 0.5
"""Particle amplitudes are uniform in [AMP_LOW, 1) times the layer opacity."""
TAP_FLOOR = 0.01
"""Kernel taps below this fraction of the peak are skipped on the numpy path (under one 8-bit code)."""


@dataclass(frozen=True)
class ParticleLayer:
    """One depth layer: ``kernel`` (odd-sided float32, peak <= 1), ``density`` (centres per pixel), ``opacity`` [0,1]."""

    kernel: np.ndarray
    density: float
    opacity: float


def snap(value: float, step: float) -> float:
    """``value`` rounded to the nearest multiple of ``step`` (kernel parameters are cached on such grids)."""
    return round(value / step) * step


def particle_field(seed: int) -> tuple[np.ndarray, np.random.Generator]:
    """One particle field's randomness from its ``seed``: (the veil's :func:`depth_draws`, the generator that
    then draws the particle positions). The depth numbers are always drawn first, so the positions do
    not depend on whether the veil is used."""
    rng = field_rng(seed)
    return depth_draws(rng), rng


def veil_blend(img: np.ndarray, cover: np.ndarray, transmission: np.ndarray | None, color: float,
               airlight: float, out: np.ndarray | None = None) -> np.ndarray:
    """Particles seen through a veil: ``I = T (J (1 - S) + color S) + (1 - T) airlight`` -> HxWx3 float32.

    ``img`` J: HxWx3 float32 (any strides); ``cover`` S: HxW float32 particle opacity (clipped to 1 here);
    ``transmission`` T: HxW float32, None for no veil (T = 1); ``color``: the particles' gray level
    (1 for the screen blend of bright rain streaks, the ambient light for snow flakes); ``out``: an HxWx3
    float32 array (any strides) to write into, else a new one. One compiled pass over the pixels
    (:mod:`restorebench.jit`) in float32.
    """
    cover = np.ascontiguousarray(cover, np.float32)
    veiled = transmission is not None
    t = np.ascontiguousarray(transmission, np.float32) if veiled else cover
    out = np.empty(img.shape, np.float32) if out is None else out
    _veil_blend(img, cover, t, veiled, np.float32(color), np.float32(airlight), out)
    return out


@compiled
def _veil_blend(img: np.ndarray, cover: np.ndarray, t: np.ndarray, veiled: bool, color: np.float32,
                airlight: np.float32, out: np.ndarray) -> None:
    """out = img * gain + offset, gain = T (1 - s), offset = airlight + T (color s - airlight), s = min(cover, 1),
    T = ``t`` where ``veiled`` else 1; HxWx3 float32 images (any strides), HxW C-contiguous float32 maps."""
    one = np.float32(1.0)
    for y in range(img.shape[0]):
        for x in range(img.shape[1]):
            s = min(cover[y, x], one)
            tt = t[y, x] if veiled else one
            gain = tt * (one - s)
            offset = airlight + tt * (color * s - airlight)
            out[y, x, 0] = img[y, x, 0] * gain + offset
            out[y, x, 1] = img[y, x, 1] * gain + offset
            out[y, x, 2] = img[y, x, 2] * gain + offset


def peak_normalized(kernel: np.ndarray) -> np.ndarray:
    """A kernel rescaled to peak 1: the anti-aliased indicator of the shape a normalised PSF describes."""
    return (kernel / kernel.max()).astype(np.float32)


def compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Full 2-D convolution of two odd-sided kernels (the PSF of applying both), float32, odd sides."""
    return convolve2d(a, b, mode="full").astype(np.float32)


def layer_schedule(layers: int, ratio: float, density_power: float) -> list[tuple[float, float]]:
    """(scale, density share) per depth layer, nearest first: scale ``ratio**k`` (sizes in the image shrink
    with distance), share ~ ``scale**-density_power`` normalised to 1 (farther layers hold more particles)."""
    scales = [ratio ** k for k in range(layers)]
    w = np.asarray(scales, np.float64) ** -density_power
    return [(s, float(x)) for s, x in zip(scales, w / w.sum())]


def render_layers(layers: list[ParticleLayer], h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Sum of all layers' particles: HxW float32 (>= 0, not clipped), centres drawn from ``rng``."""
    groups = []
    for layer in layers:
        ry, rx = layer.kernel.shape[0] // 2, layer.kernel.shape[1] // 2
        n = int(rng.binomial((h + 2 * ry) * (w + 2 * rx), layer.density))
        rows = rng.integers(-ry, h + ry, n)
        cols = rng.integers(-rx, w + rx, n)
        amps = rng.random(n, dtype=np.float32)
        amps *= np.float32((1.0 - AMP_LOW) * layer.opacity)
        amps += np.float32(AMP_LOW * layer.opacity)
        groups.append((rows, cols, amps, layer.kernel))
    return splat((h, w), groups, floor=TAP_FLOOR)


def render_layers_batch(layers: list[list[ParticleLayer]], seeds: list[int], h: int, w: int, device) -> torch.Tensor:
    """Per-sample particle layers -> Nx1xHxW float32 on ``device`` (torch generator seeded per sample).

    Each layer's Bernoulli impulse image is convolved with its kernel circularly (FFT on the image's own
    grid, at least the kernel's size): particles leaving one border enter from the opposite one, so the
    field stays a stationary point process as on the numpy path, where centres fill the kernel radius
    beyond the borders. The layers' spectra are summed before one inverse FFT per sample.
    """
    n_layers = max(len(ls) for ls in layers)
    empty = np.zeros((1, 1), np.float32)
    kernels = pad_kernels([ls[k].kernel if k < len(ls) else empty for ls in layers for k in range(n_layers)])
    kernels = torch.from_numpy(kernels.reshape(len(layers), n_layers, *kernels.shape[1:])).to(device)
    size, r = kernels.shape[-1], kernels.shape[-1] // 2
    grid = (max(h, size), max(w, size))
    u = torch.empty((len(layers), n_layers, *grid), dtype=torch.float32, device=device)
    gen = torch.Generator(device=device)  # one generator re-seeded per sample: creating one per sample is slower
    for i, seed in enumerate(seeds):
        torch.rand((n_layers, *grid), generator=gen.manual_seed(int(seed)), out=u[i])
    table = [[(ls[k].density, ls[k].opacity) if k < len(ls) else (0.0, 0.0) for k in range(n_layers)] for ls in layers]
    table = torch.tensor(table, dtype=torch.float32, device=device).view(len(layers), n_layers, 2, 1, 1)
    density, opacity = table[:, :, 0], table[:, :, 1]
    # given u < density, u / density is uniform in [0, 1): it doubles as the amplitude draw
    amp = opacity * (AMP_LOW + (1.0 - AMP_LOW) * u / density.clamp(min=1e-12))
    impulses = torch.where(u < density, amp, torch.zeros((), device=device))
    spectrum = (torch.fft.rfft2(impulses) * torch.fft.rfft2(kernels, s=grid)).sum(dim=1, keepdim=True)
    # the kernel sits at the grid's corner: rolling by its radius centres every particle on its impulse
    out = torch.roll(torch.fft.irfft2(spectrum, s=grid), shifts=(-r, -r), dims=(-2, -1))
    return out[..., :h, :w].clamp_(min=0.0)


def veil_transmission(params: list[dict], key: str, h: int, w: int, device: torch.device) -> torch.Tensor:
    """Per-sample veil transmission (:func:`synthetic_transmission` with ``beta = params[key]``, 1 where it is 0)
    -> Nx1xHxW float32 on ``device``: the coarse grids are made in numpy as on the numpy path (chunks of
    samples on ``torch.get_num_threads()`` host threads; each grid depends on its own seed only) and resized
    bilinearly on the device (the same half-pixel-centre interpolation as ``cv2.resize``)."""
    def grids(chunk: list[dict]) -> np.ndarray:
        return coarse_synthetic_depths(np.stack([particle_field(p["seed"])[0] for p in chunk]), h, w)

    coarse = np.concatenate(map_chunks(grids, params, torch.get_num_threads()))
    coarse *= np.asarray([-p[key] for p in params], np.float32)[:, None, None]
    return upsample(torch.from_numpy(np.exp(coarse, out=coarse)[:, None]).to(device), h, w)


def per_sample(params: list[dict], key: str, device: torch.device) -> torch.Tensor:
    """``params[i][key]`` as an Nx1x1x1 float32 tensor on ``device``."""
    return torch.tensor([p[key] for p in params], dtype=torch.float32, device=device).view(-1, 1, 1, 1)
