"""Registered blur operators. Each is a PSF built from its params; ``BlurOperator`` applies it on both paths."""

from __future__ import annotations

import numpy as np
import torch

from degrade.cpu_batch import map_planes, takes_numpy_path
from degrade.filtering import convolve_separable
from degrade.kernels import disk_kernel, gaussian_factors, gaussian_kernel
from degrade.operator import Operator
from degrade.ops.blur import batch, functional
from degrade.params import Param
from degrade.registry import register


class BlurOperator(Operator):
    """A blur defined by its PSF: ``psf(params)`` -> 2-D kernel; CPU and batch paths convolve with it."""

    clips_itself = True

    def psf(self, params: dict) -> np.ndarray:
        """The odd-sided, non-negative, unit-sum kernel of these (validated) params."""
        raise NotImplementedError

    def psfs(self, params: list[dict], threads: int = 1) -> list[np.ndarray]:
        """The kernels of a batch of params dicts (override where drawing them together, or on ``threads``
        host threads, is faster)."""
        return [self.psf(p) for p in params]

    def _apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        return functional.blur(img, self.psf(params))

    def _apply_batch(self, x, params):
        return batch.blur(x, self.psfs(params, torch.get_num_threads()))


@register("blur.gaussian")
class GaussianBlur(BlurOperator):
    """Gaussian blur, isotropic or anisotropic: stds ``sigma_x``/``sigma_y`` (pixels) along axes at ``angle_deg``.

    Severity -> sigma (isotropic, ImageNet-C): 1: 1, 2: 2, 3: 3, 4: 4, 5: 6.
    """

    schema = {
        "sigma_x": Param(float, 0.0, 50.0, doc="std along the rotated x axis, pixels"),
        "sigma_y": Param(float, 0.0, 50.0, doc="std along the rotated y axis, pixels"),
        "angle_deg": Param(float, -360.0, 360.0, doc="rotation of the x axis, degrees counter-clockwise"),
    }
    ranges = {"sigma_x": [0.2, 4.0], "sigma_y": [0.2, 4.0], "angle_deg": [0.0, 180.0]}
    severities = {s: {"sigma_x": v, "sigma_y": v, "angle_deg": 0.0}
                  for s, v in {1: 1.0, 2: 2.0, 3: 3.0, 4: 4.0, 5: 6.0}.items()}

    def psf(self, params: dict) -> np.ndarray:
        return gaussian_kernel(params["sigma_x"], params["sigma_y"], params["angle_deg"])

    def _apply(self, img: np.ndarray, params: dict) -> np.ndarray:
        """Separable Gaussians (isotropic, or axes along the image's) as two 1-D passes; others as one PSF."""
        factors = gaussian_factors(params["sigma_x"], params["sigma_y"], params["angle_deg"])
        return super()._apply(img, params) if factors is None else convolve_separable(img, *factors, clip=True)

    def _apply_batch(self, x, params):
        """On the CPU each plane as on the numpy path (separable Gaussians in two 1-D passes); elsewhere the PSFs."""
        if takes_numpy_path(x):
            return map_planes(x, lambda i, plane: self._apply(plane, params[i]))
        return super()._apply_batch(x, params)


@register("blur.motion")
class MotionBlur(BlurOperator):
    """Camera-shake motion blur: a random trajectory (Boracchi & Foi 2012) of path ``length`` pixels.

    The PSF is re-drawn from ``seed``, so params stay small. Severity -> length: 1: 5, 2: 9, 3: 15, 4: 21, 5: 31.
    """

    stochastic = True
    schema = {"length": Param(float, 0.0, 200.0, doc="trajectory path length, pixels")}
    ranges = {"length": [3.0, 35.0]}
    severities = {1: {"length": 5.0}, 2: {"length": 9.0}, 3: {"length": 15.0}, 4: {"length": 21.0},
                  5: {"length": 31.0}}

    def psf(self, params: dict) -> np.ndarray:
        return self.psfs([params])[0]

    def psfs(self, params: list[dict], threads: int = 1) -> list[np.ndarray]:
        return functional.motion_psfs([p["length"] for p in params], [p["seed"] for p in params], threads)


@register("blur.defocus")
class DefocusBlur(BlurOperator):
    """Defocus blur: an anti-aliased uniform disk of ``radius`` pixels.

    Severity -> radius (ImageNet-C): 1: 3, 2: 4, 3: 6, 4: 8, 5: 10.
    """

    schema = {"radius": Param(float, 0.0, 100.0, doc="disk radius, pixels")}
    ranges = {"radius": [1.0, 10.0]}
    severities = {1: {"radius": 3.0}, 2: {"radius": 4.0}, 3: {"radius": 6.0}, 4: {"radius": 8.0},
                  5: {"radius": 10.0}}

    def psf(self, params: dict) -> np.ndarray:
        return disk_kernel(params["radius"])


@register("blur.kernel")
class KernelBlur(BlurOperator):
    """Blur with a user-supplied PSF: ``kernel`` (nested list) or ``path`` (.npy file), exactly one.

    The kernel must be 2-D with odd sides, non-negative, and sum to 1 (within 1e-3). No severity table:
    the kernel is the user's.
    """

    schema = {
        "kernel": Param(list, doc="2-D kernel as a nested list, odd sides, sums to 1", optional=True),
        "path": Param(str, doc="path to a .npy file holding the 2-D kernel", optional=True),
    }

    def check(self, params: dict) -> dict:
        params = super().check(params)
        functional.user_psf(params.get("kernel"), params.get("path"))
        return params

    def psf(self, params: dict) -> np.ndarray:
        return functional.user_psf(params.get("kernel"), params.get("path"))
