"""Registered noise operators: schemas, severity tables (ImageNet-C style) and sampling."""

from __future__ import annotations

import numpy as np

from degrade.operator import Operator
from degrade.ops.noise import batch, functional
from degrade.params import Param
from degrade.registry import register

PHOTONS = Param(float, 0.1, 1e6, doc="expected photo-electrons at full scale (value 1.0); fewer = noisier")
READ_NOISE = Param(float, 0.0, 1e4, doc="read-noise std in electrons")
BAYER = Param(bool, doc="draw the noise on an RGGB raw mosaic and demosaic it (spatially correlated)")


@register("noise.gaussian")
class GaussianNoise(Operator):
    """Additive white Gaussian noise; ``sigma`` in 0-255 units as the denoising literature quotes it.

    Severity -> sigma: 1: 8, 2: 15, 3: 25, 4: 35, 5: 50.
    """

    stochastic = True
    numpy_on_cpu = True
    schema = {
        "sigma": Param(float, 0.0, 255.0, doc="noise std in 0-255 units"),
        "gray": Param(bool, doc="one field shared by R, G, B (luminance-only noise)"),
    }
    ranges = {"sigma": [5.0, 50.0], "gray": False}
    severities = {1: {"sigma": 8.0}, 2: {"sigma": 15.0}, 3: {"sigma": 25.0}, 4: {"sigma": 35.0}, 5: {"sigma": 50.0}}

    def _apply(self, img: np.ndarray, params: dict, out: np.ndarray | None = None) -> np.ndarray:
        return functional.gaussian_noise(img, params["sigma"], params["gray"], params["seed"], out)

    def _apply_batch(self, x, params):
        return batch.gaussian_noise(x, params)


@register("noise.poisson")
class PoissonNoise(Operator):
    """Photon shot noise: Poisson counts with ``photons`` expected photo-electrons at value 1.0.

    ``linear=False`` counts on sRGB values (ImageNet-C "shot noise"); ``linear=True`` in linear light.
    Severity -> photons (ImageNet-C): 1: 60, 2: 25, 3: 12, 4: 5, 5: 3.
    """

    stochastic = True
    schema = {
        "photons": PHOTONS,
        "linear": Param(bool, doc="count photons in linear light (True) or on sRGB values (False)"),
    }
    ranges = {"photons": {"log": [3.0, 100.0]}, "linear": False}
    severities = {1: {"photons": 60.0}, 2: {"photons": 25.0}, 3: {"photons": 12.0}, 4: {"photons": 5.0},
                  5: {"photons": 3.0}}

    def _apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        return functional.poisson_noise(img, params["photons"], params["linear"], params["seed"])

    def _apply_batch(self, x, params):
        return batch.poisson_noise(x, params)


@register("noise.speckle")
class SpeckleNoise(Operator):
    """Multiplicative Gaussian noise ``x * (1 + n)``, n ~ N(0, sigma^2); ``sigma`` is a fraction of the value.

    Severity -> sigma (ImageNet-C): 1: 0.15, 2: 0.2, 3: 0.35, 4: 0.45, 5: 0.6.
    """

    stochastic = True
    numpy_on_cpu = True
    schema = {"sigma": Param(float, 0.0, 5.0, doc="std of the multiplicative factor (fraction, 0.2 = 20%)")}
    ranges = {"sigma": [0.05, 0.6]}
    severities = {1: {"sigma": 0.15}, 2: {"sigma": 0.2}, 3: {"sigma": 0.35}, 4: {"sigma": 0.45}, 5: {"sigma": 0.6}}

    def _apply(self, img: np.ndarray, params: dict, out: np.ndarray | None = None) -> np.ndarray:
        return functional.speckle_noise(img, params["sigma"], params["seed"], out)

    def _apply_batch(self, x, params):
        return batch.speckle_noise(x, params)


@register("noise.salt_pepper")
class SaltPepperNoise(Operator):
    """Impulse noise: a fraction ``amount`` of values (per pixel and channel) set to 1 (salt) or 0 (pepper).

    Severity -> amount (ImageNet-C "impulse noise", salt_ratio 0.5): 1: 0.03, 2: 0.06, 3: 0.09, 4: 0.17, 5: 0.27.
    """

    stochastic = True
    schema = {
        "amount": Param(float, 0.0, 1.0, doc="fraction of values replaced"),
        "salt_ratio": Param(float, 0.0, 1.0, doc="fraction of the replaced values set to 1 (the rest to 0)"),
    }
    ranges = {"amount": [0.01, 0.27], "salt_ratio": 0.5}
    severities = {1: {"amount": 0.03}, 2: {"amount": 0.06}, 3: {"amount": 0.09}, 4: {"amount": 0.17},
                  5: {"amount": 0.27}}

    def _apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        return functional.salt_pepper_noise(img, params["amount"], params["salt_ratio"], params["seed"])

    def _apply_batch(self, x, params):
        return batch.salt_pepper_noise(x, params)


@register("noise.camera")
class CameraNoise(Operator):
    """Raw-like sensor noise in linear light: Poisson shot noise + Gaussian read noise, re-encoded to sRGB.

    ``photons``: photo-electrons collected at full scale (a bright, large-pixel camera: thousands;
    a phone at high ISO: tens); ``read_noise``: read-noise std in electrons; ``bayer``: draw the
    noise on an RGGB mosaic and demosaic it (spatially correlated like camera output) instead of per
    channel.
    Severity -> (photons, read_noise): 1: (1000, 2), 2: (400, 3), 3: (150, 4), 4: (60, 6), 5: (20, 8).
    """

    stochastic = True
    schema = {
        "photons": PHOTONS,
        "read_noise": READ_NOISE,
        "bayer": BAYER,
    }
    ranges = {"photons": {"log": [20.0, 2000.0]}, "read_noise": [0.5, 8.0], "bayer": True}
    severities = {1: {"photons": 1000.0, "read_noise": 2.0}, 2: {"photons": 400.0, "read_noise": 3.0},
                  3: {"photons": 150.0, "read_noise": 4.0}, 4: {"photons": 60.0, "read_noise": 6.0},
                  5: {"photons": 20.0, "read_noise": 8.0}}

    def _apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        return functional.camera_noise(img, params["photons"], params["read_noise"], params["bayer"],
                                       params["seed"])

    def _apply_batch(self, x, params):
        return batch.camera_noise(x, params)


@register("noise.isp")
class IspNoise(Operator):
    """Camera-pipeline noise: signal-dependent, spatially and colour correlated (Brooks et al., CVPR 2019,
    "Unprocessing Images for Learned Raw Denoising"; the realistic noise model of CBDNet, Guo et al.,
    CVPR 2019).

    The image is unprocessed to raw camera RGB ``r`` (inverse smoothstep tone curve, inverse gamma 2.2,
    inverse colour correction, inverse white balance); Poisson shot + Gaussian read noise (``photons``,
    ``read_noise`` as ``noise.camera``) is drawn on its RGGB mosaic and bilinearly demosaicked to ``n``;
    the camera's noise reduction keeps ``1 - chroma_nr`` of the chroma of ``n`` (BT.601 YCbCr) and smooths
    it with a Gaussian of ``nr_sigma`` px; then ``out = img + render(r + n) - render(r)``, ``render`` =
    white balance (``wb_red``, ``wb_blue``), colour correction (``ccm`` blends identity and
    ``degrade.color.CAMERA_TO_SRGB``), gamma, tone curve. The clean image passes through unchanged.
    Severity -> (photons, read_noise): 1: (3000, 2), 2: (1000, 3), 3: (400, 4), 4: (150, 5), 5: (80, 6).
    """

    stochastic = True
    schema = {
        "photons": PHOTONS,
        "read_noise": READ_NOISE,
        "wb_red": Param(float, 1.0, 4.0, doc="white-balance gain of red (raw -> balanced)"),
        "wb_blue": Param(float, 1.0, 4.0, doc="white-balance gain of blue (raw -> balanced)"),
        "ccm": Param(float, 0.0, 1.0, doc="strength of the colour correction matrix (0: identity)"),
        "chroma_nr": Param(float, 0.0, 1.0, doc="fraction of the noise's chroma the camera removes"),
        "nr_sigma": Param(float, 0.0, 5.0, doc="std (px) of the Gaussian smoothing of the noise field"),
    }
    ranges = {"photons": {"log": [80.0, 5000.0]}, "read_noise": [0.5, 6.0], "wb_red": [1.9, 2.4],
              "wb_blue": [1.5, 1.9], "ccm": [0.5, 1.0], "chroma_nr": [0.45, 0.85], "nr_sigma": [0.4, 0.9]}
    severities = {1: {"photons": 3000.0, "read_noise": 2.0}, 2: {"photons": 1000.0, "read_noise": 3.0},
                  3: {"photons": 400.0, "read_noise": 4.0}, 4: {"photons": 150.0, "read_noise": 5.0},
                  5: {"photons": 80.0, "read_noise": 6.0}}

    def _apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        return functional.isp_noise(img, params["photons"], params["read_noise"], params["wb_red"],
                                    params["wb_blue"], params["ccm"], params["chroma_nr"], params["nr_sigma"],
                                    params["seed"])

    def _apply_batch(self, x, params):
        return batch.isp_noise(x, params)
