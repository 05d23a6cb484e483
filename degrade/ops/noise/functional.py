"""Noise, pure numpy: HxWx3 float32 RGB in [0,1] in, same out (not yet clipped; Operator.apply clips).

All arithmetic on image-sized arrays stays float32 (Poisson counts come back from numpy as int64 and
are converted once). Linear light means the sRGB transfer undone (``degrade.color``); a signal of
1.0 in linear light is the sensor's full scale (white).
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.special import ndtri

from degrade.color import (
    camera_matrix,
    camera_raw,
    camera_render,
    linear_to_srgb,
    reduce_chroma,
    srgb_to_linear,
)
from degrade.filtering import convolve
from degrade.kernels import gaussian_kernel
from restorebench.jit import compiled
from restorebench.seeding import field_rng

NORMAL_LEVELS = 1 << 16
"""Equiprobable levels of the inverse-CDF table behind :func:`add_normal` (one per 16 random bits)."""


@functools.lru_cache(maxsize=1)
def _normal_table() -> np.ndarray:
    """Midpoint quantiles of N(0,1) at (k + 0.5) / 65536, rescaled to unit variance: float32, shape (65536,)."""
    q = ndtri((np.arange(NORMAL_LEVELS, dtype=np.float64) + 0.5) / NORMAL_LEVELS)
    return (q / np.sqrt(np.mean(q * q))).astype(np.float32)


def normal_indices(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` uint16 indices into the normal table: the generator's raw 64-bit words (``rng.integers`` over
    the full uint64 range) split little-endian into four 16-bit indices, the same on every platform."""
    words = rng.integers(0, 2**64 - 1, -(-n // 4), dtype=np.uint64, endpoint=True)
    return words.astype("<u8", copy=False).view("<u2")[:n]


def add_normal(base: np.ndarray, rng: np.random.Generator, std: float, gray: bool = False,
               multiply: bool = False, out: np.ndarray | None = None) -> np.ndarray:
    """``base + std * n`` (``multiply``: ``base + std * n * base``) for float32 HxWxC ``base`` (any strides), in
    ``out`` if given (an HxWxC float32 array of any strides, ``base`` itself allowed).

    n ~ N(0,1) per value (``gray``: one value per pixel, shared by its channels): 16 random bits per
    sample (:func:`normal_indices`) index an inverse-CDF table of the 65,536 equiprobable midpoint
    quantiles of the standard normal (scaled by 1.00001, the factor that gives the whole midpoint table
    unit variance), so the field's CDF is within 1e-5 of the normal's everywhere; the two outermost
    levels (probability 2**-16 each) are replaced by exact draws from the normal's tails beyond
    +-4.17 sigma (:func:`tail_draws`), so the tails are the normal's own. The lookup and the sum run as one
    compiled pass (:mod:`restorebench.jit`) with numpy's float32 arithmetic, which is faster than numpy's
    float32 ziggurat or Box-Muller.
    """
    h, w, c = base.shape
    index = normal_indices(rng, h * w * (1 if gray else c)).reshape(h, w, -1)
    table = _normal_table() * np.float32(std)
    table[[0, -1]] = 0.0  # the outermost levels leave ``base`` as it is; their tail draws are added below
    out = np.empty((h, w, c), np.float32) if out is None else out
    if gray or not (base.flags.c_contiguous and out.flags.c_contiguous):
        views = base, index, out
    else:  # image rows as flat runs: the compiled loop vectorizes the lookups
        views = base.reshape(h, 1, -1), index.reshape(h, 1, -1), out.reshape(h, 1, -1)
    flags = np.empty(views[1].shape[:2], np.bool_)
    _add_table(views[0], views[1], table, multiply, views[2], flags)
    rows = np.flatnonzero(flags)
    if rows.size:  # the outermost levels: exact tail draws instead of the table's values
        runs = index.reshape(flags.size, -1)
        r, k = np.nonzero(runs[rows] + np.uint16(1) <= 1)  # levels 0 and 65535 (the sum wraps)
        pos = rows[r] * runs.shape[1] + k
        at = np.unravel_index(pos, index.shape)[:2 if gray else 3]
        kept = out[at]
        v = tail_draws(index.reshape(-1)[pos], rng).astype(np.float32) * np.float32(std)
        v = v[:, None] if gray else v
        out[at] = kept + (v * kept if multiply else v)
    return out


def tail_draws(levels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per outermost level of the normal table (0 or 65535, uint16) an exact N(0,1) draw from the tail beyond
    that level's outer edge (float64, below -4.17 for level 0, above 4.17 for 65535): ``-ndtri(u / 65536)``,
    u uniform on (0, 1], from a generator spawned off ``rng``, so ``rng``'s own stream goes on as it would
    without tails."""
    magnitude = -ndtri((1.0 - rng.spawn(1)[0].random(levels.size)) / NORMAL_LEVELS)
    return np.where(levels == 0, -magnitude, magnitude)


@compiled
def _add_table(base: np.ndarray, index: np.ndarray, table: np.ndarray, multiply: bool, out: np.ndarray,
               flags: np.ndarray) -> None:
    """out[y, x, c] = base[y, x, c] + v (``multiply``: + v * base[y, x, c]), v = table[index[y, x, c or 0]];
    flags[y, x]: whether any of the run's indices is an outermost level (0 or 65535). AxBxC float32 images
    (any strides), AxBx(C or 1) uint16 indices, AxB booleans."""
    shared = index.shape[2] == 1
    for y in range(base.shape[0]):
        for x in range(base.shape[1]):
            outer = False
            for c in range(base.shape[2]):
                k = index[y, x, 0 if shared else c]
                outer |= (k == 0) | (k == 65535)
                v = table[k]
                if multiply:
                    v = v * base[y, x, c]
                out[y, x, c] = base[y, x, c] + v
            flags[y, x] = outer


def gaussian_noise(img: np.ndarray, sigma: float, gray: bool, seed: int, out: np.ndarray | None = None) -> np.ndarray:
    """Add zero-mean Gaussian noise of std ``sigma`` (0-255 units); ``gray`` shares one field across channels;
    written into ``out`` (HxWx3 float32, any strides) when given."""
    return add_normal(img, field_rng(seed), sigma / 255.0, gray=gray, out=out)


def shot_read_noise(signal: np.ndarray, photons: float, read_noise: float, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise on a linear signal: Poisson photon counts plus Gaussian read noise, back in signal units.

    ``signal``: float32 array in [0,1] (fraction of full scale); ``photons``: expected photo-electrons
    at full scale (signal 1.0); ``read_noise``: read-noise std in electrons. Returns float32
    ``(Poisson(signal * photons) + N(0, read_noise^2)) / photons`` (may leave [0,1]).
    """
    out = rng.poisson(signal * np.float32(photons)).astype(np.float32)
    if read_noise > 0:
        values = out.reshape(*out.shape[:2], -1)  # HxW raw mosaics as HxWx1
        add_normal(values, rng, read_noise, out=values)
    out *= np.float32(1.0 / photons)
    return out


def poisson_noise(img: np.ndarray, photons: float, linear: bool, seed: int) -> np.ndarray:
    """Shot noise: Poisson counts with ``photons`` expected photo-electrons at value 1.0.

    ``linear=False`` counts photons on the sRGB values themselves (the ImageNet-C convention);
    ``linear=True`` counts them in linear light and re-encodes to sRGB (physically faithful).
    """
    rng = field_rng(seed)
    if not linear:
        return shot_read_noise(img, photons, 0.0, rng)
    return linear_to_srgb(shot_read_noise(srgb_to_linear(img), photons, 0.0, rng))


def speckle_noise(img: np.ndarray, sigma: float, seed: int, out: np.ndarray | None = None) -> np.ndarray:
    """Multiplicative noise ``img * (1 + n)``, n ~ N(0, sigma^2) per pixel and channel (sigma: a fraction);
    written into ``out`` (HxWx3 float32, any strides) when given."""
    return add_normal(img, field_rng(seed), sigma, multiply=True, out=out)


def salt_pepper_noise(img: np.ndarray, amount: float, salt_ratio: float, seed: int) -> np.ndarray:
    """Impulse noise: a fraction ``amount`` of the values is replaced, ``salt_ratio`` of them by 1, the rest by 0.

    Values are hit independently per pixel and channel (as scikit-image's ``random_noise(mode="s&p")``).
    """
    u = field_rng(seed).random(img.shape, dtype=np.float32)
    out = img.copy()
    out[u < np.float32(amount)] = 0.0
    out[u < np.float32(amount * salt_ratio)] = 1.0
    return out


BAYER_RB = np.array([[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]], np.float32)
"""Bilinear demosaicking kernel of the red and blue planes of an RGGB mosaic."""

BAYER_G = np.array([[0.0, 0.25, 0.0], [0.25, 1.0, 0.25], [0.0, 0.25, 0.0]], np.float32)
"""Bilinear demosaicking kernel of the green plane of an RGGB mosaic."""


RGGB = ((0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 2))
"""(row, column, channel) of the four sites of an RGGB colour filter array's 2x2 tile."""


def bayer_mask(h: int, w: int) -> np.ndarray:
    """HxWx3 float32 0/1 sampling pattern of an RGGB colour filter array (R at (0, 0), B at (1, 1))."""
    m = np.zeros((h, w, 3), np.float32)
    for y, x, c in RGGB:
        m[y::2, x::2, c] = 1.0
    return m


def demosaic_bilinear(sparse: np.ndarray) -> np.ndarray:
    """Bilinear demosaicking: HxWx3 RGGB samples (zeros where a channel is not sampled) -> HxWx3.

    Reflect-101 borders keep the colour filter pattern's parity, so borders interpolate like the interior.
    """
    out = np.empty_like(sparse)
    out[..., 0::2] = convolve(np.ascontiguousarray(sparse[..., 0::2]), BAYER_RB)
    out[..., 1] = convolve(np.ascontiguousarray(sparse[..., 1:2]), BAYER_G)[..., 0]
    return out


def mosaic_noise(lin: np.ndarray, photons: float, read_noise: float, rng: np.random.Generator) -> np.ndarray:
    """The demosaicked shot + read noise of an HxWx3 linear image sensed through an RGGB colour filter array.

    Each pixel senses one channel: the noise is drawn on that HxW raw signal (:func:`shot_read_noise`)
    and spread to RGB by bilinear demosaicking, so it is spatially correlated (interpolated pixels
    share raw samples) as in camera output. Returns the HxWx3 float32 noise alone (no signal).
    """
    raw = np.empty(lin.shape[:2], np.float32)
    for y, x, c in RGGB:
        raw[y::2, x::2] = lin[y::2, x::2, c]
    noise = shot_read_noise(raw, photons, read_noise, rng)
    noise -= raw
    sparse = np.zeros_like(lin)
    for y, x, c in RGGB:
        sparse[y::2, x::2, c] = noise[y::2, x::2]
    return demosaic_bilinear(sparse)


def sensor_noise(lin: np.ndarray, photons: float, read_noise: float, bayer: bool,
                 rng: np.random.Generator) -> np.ndarray:
    """Shot + read noise on an HxWx3 linear image, per channel or (``bayer``) on an RGGB raw mosaic.

    With ``bayer`` the noise is :func:`mosaic_noise`'s demosaicked field; the clean signal itself is
    left intact (only the noise goes through the demosaicker).
    """
    if not bayer:
        return shot_read_noise(lin, photons, read_noise, rng)
    return lin + mosaic_noise(lin, photons, read_noise, rng)


def camera_noise(img: np.ndarray, photons: float, read_noise: float, bayer: bool, seed: int) -> np.ndarray:
    """Raw-like sensor noise: sRGB -> linear light, :func:`sensor_noise`, -> sRGB."""
    return linear_to_srgb(sensor_noise(srgb_to_linear(img), photons, read_noise, bayer, field_rng(seed)))


def isp_noise(img: np.ndarray, photons: float, read_noise: float, wb_red: float, wb_blue: float, ccm: float,
              chroma_nr: float, nr_sigma: float, seed: int) -> np.ndarray:
    """Camera-pipeline noise (Brooks et al., CVPR 2019): ``img`` unprocessed to raw camera RGB
    (:func:`degrade.color.camera_raw`), :func:`mosaic_noise` on it, the camera's noise reduction on that
    field (``chroma_nr`` of its chroma removed, then a Gaussian of ``nr_sigma`` px), and the difference the
    noise makes after rendering (:func:`degrade.color.camera_render`) added to ``img``.
    """
    raw_to_srgb = camera_matrix(ccm, wb_red, wb_blue)
    raw = camera_raw(img, raw_to_srgb)
    noise = reduce_chroma(mosaic_noise(raw, photons, read_noise, field_rng(seed)), chroma_nr)
    if nr_sigma > 0:
        noise = convolve(noise, gaussian_kernel(nr_sigma, nr_sigma))
    return img + (camera_render(raw + noise, raw_to_srgb) - camera_render(raw, raw_to_srgb))
