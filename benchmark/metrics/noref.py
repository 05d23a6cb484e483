"""No-reference metrics through pyiqa 0.1.16 (PolyForm-Noncommercial): NIQE, MUSIQ, CLIP-IQA.

pyiqa is the field's reference implementation of these, so its code computes the values; this module only
resolves the weight files through :mod:`restorebench.weights` (so a missing file gives the one-line offline
message instead of a download attempt), batches same-size images and places them on the device.

- NIQE (Mittal et al., IEEE SPL 2013): luma of full-range YIQ rounded to 0-255, 96x96 blocks, two scales,
  with BasicSR's pristine model ``niqe_pris_params.npz`` (mu, cov), the same numbers as pyiqa's
  ``niqe_modelparameters.mat``. Lower is better.
- MUSIQ (Ke et al., ICCV 2021), KonIQ-10k checkpoint: multi-scale patches at the native resolution plus
  longer sides 224 and 384 (pyiqa's preprocessing), score ~0-100. Higher is better. The checkpoint is read
  as plain tensors (``weights_only=True``), not through pyiqa's loader, which unpickles arbitrary objects.
- CLIP-IQA (Wang et al., AAAI 2023), pyiqa's variant with five antonym prompt pairs on OpenAI CLIP RN50, no
  positional embedding (any input size), score 0-1. Higher is better. The prompts' text features are
  encoded once per metric instead of once per batch (pyiqa's forward re-encodes them every call); the
  image side and the arithmetic are pyiqa's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from benchmark.metrics.base import ImageMetric, register_metric
from benchmark.metrics.perceptual import HF_PYIQA, load_state
from benchmark.protocols import Protocol
from restorebench import weights as rw
from restorebench.errors import InputError
from restorebench.validate import check_side

NIQE_PARAMS = rw.WeightFile(
    "niqe_pris_params.npz",
    "2a7c182a68c9e7f1b2e2e5ec723279d6f65d912b6fcaf37eb2bf03d7367c4296",
    subdir="hub/pyiqa",
    url="https://raw.githubusercontent.com/XPixelGroup/BasicSR/master/basicsr/metrics/niqe_pris_params.npz",
    license="Apache-2.0",
    source="BasicSR basicsr/metrics/niqe_pris_params.npz",
)
MUSIQ_KONIQ = rw.WeightFile(
    "musiq_koniq_ckpt-e95806b9.pth",
    "e95806b9",
    subdir="hub/pyiqa",
    url=HF_PYIQA + "musiq_koniq_ckpt-e95806b9.pth",
    license="Apache-2.0 (google-research)",
    source="pyiqa conversion of google-research/musiq KonIQ-10k checkpoint",
)
CLIP_RN50 = rw.WeightFile(
    "RN50.pt",
    "afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762",
    subdir="hub/clip",
    url="https://openaipublic.azureedge.net/clip/models/"
    "afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762/RN50.pt",
    license="MIT (openai/CLIP)",
    source="OpenAI CLIP RN50 release",
)
MUSIQ_MIN_SIDE = 32
"""MUSIQ cuts 32x32 patches: smaller images cannot be scored."""
NIQE_MIN_SIDE = 192
"""NIQE fits 96x96 blocks at two scales."""


def build_pyiqa(
    factory: Callable[[str], torch.nn.Module], path: Path, what: str, device: torch.device
) -> torch.nn.Module:
    """``factory(str(path))`` on ``device`` in eval mode; a file that fails to load raises InputError."""
    try:
        return factory(str(path)).to(device).eval()
    except InputError:
        raise
    except (RuntimeError, KeyError, EOFError, ValueError) as exc:
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not {what} ({why})") from exc


@register_metric(
    "niqe",
    kind="nr",
    higher_is_better=False,
    weights=(NIQE_PARAMS,),
    description="NIQE (pyiqa's implementation, BasicSR's pristine model), luma of YIQ",
)
class NIQE(ImageMetric):
    """NIQE per image; ``params_path`` overrides the resolved pristine-model file (npz with mu/cov)."""

    def __init__(
        self,
        protocol: str | Protocol = "basicsr",
        device: str | torch.device = "cpu",
        params_path: Path | None = None,
    ) -> None:
        super().__init__(protocol, device)
        path = Path(params_path or rw.resolve(NIQE_PARAMS))
        try:
            with np.load(path) as z:
                self.mu = torch.from_numpy(np.ravel(z["mu_pris_param"])).to(self.device, torch.float64)
                self.cov = torch.from_numpy(z["cov_pris_param"]).to(self.device, torch.float64)
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(
                f"{path}: not a NIQE pristine model npz with mu_pris_param/cov_pris_param ({exc})"
            ) from exc

    def score_prepared(self, pred: torch.Tensor, gt: torch.Tensor | None) -> torch.Tensor:
        from pyiqa.archs.niqe_arch import calculate_niqe

        check_side(pred.shape[-2], pred.shape[-1], "niqe", NIQE_MIN_SIDE)
        return calculate_niqe(pred.float(), 0, True, "yiq", self.mu, self.cov).reshape(-1)


@register_metric(
    "musiq",
    kind="nr",
    higher_is_better=True,
    weights=(MUSIQ_KONIQ,),
    description="MUSIQ trained on KonIQ-10k (pyiqa's implementation), ~0-100",
)
class MUSIQ(ImageMetric):
    """MUSIQ per image; ``weights_path`` overrides the resolved checkpoint."""

    def __init__(
        self,
        protocol: str | Protocol = "basicsr",
        device: str | torch.device = "cpu",
        weights_path: Path | None = None,
    ) -> None:
        super().__init__(protocol, device)
        from pyiqa.archs.arch_util import clean_state_dict
        from pyiqa.archs.musiq_arch import MUSIQ as PyiqaMUSIQ

        def build(path: str) -> torch.nn.Module:
            # pyiqa's own loader unpickles with weights_only=False; only plain tensors are read here
            net = PyiqaMUSIQ(pretrained=False)
            net.load_state_dict(clean_state_dict(load_state(Path(path), "MUSIQ KonIQ")), strict=True)
            return net

        self.net = build_pyiqa(
            build, Path(weights_path or rw.resolve(MUSIQ_KONIQ)), "a MUSIQ KonIQ checkpoint", self.device
        )

    def score_prepared(self, pred: torch.Tensor, gt: torch.Tensor | None) -> torch.Tensor:
        check_side(pred.shape[-2], pred.shape[-1], "musiq", MUSIQ_MIN_SIDE)
        return self.net(pred.float()).reshape(-1)


@register_metric(
    "clipiqa",
    kind="nr",
    higher_is_better=True,
    weights=(CLIP_RN50,),
    description="CLIP-IQA (pyiqa's prompt ensemble on OpenAI CLIP RN50), 0-1",
)
class CLIPIQA(ImageMetric):
    """CLIP-IQA per image; ``weights_path`` overrides the resolved CLIP checkpoint (OpenAI's TorchScript
    archive, which pyiqa's loader expects)."""

    def __init__(
        self,
        protocol: str | Protocol = "basicsr",
        device: str | torch.device = "cpu",
        weights_path: Path | None = None,
    ) -> None:
        super().__init__(protocol, device)
        from pyiqa.archs.clipiqa_arch import CLIPIQA as PyiqaCLIPIQA

        self.net = build_pyiqa(
            lambda p: PyiqaCLIPIQA(backbone=p),
            Path(weights_path or rw.resolve(CLIP_RN50)),
            "an OpenAI CLIP RN50 TorchScript archive",
            self.device,
        )
        self.clip = self.net.clip_model[0].to(self.device).eval()
        with torch.no_grad():
            self.text_features = self.clip.encode_text(self.net.prompt_pairs.to(self.device))

    def score_prepared(self, pred: torch.Tensor, gt: torch.Tensor | None) -> torch.Tensor:
        x = (pred.float() - self.net.default_mean.to(self.device)) / self.net.default_std.to(self.device)
        logits, _ = self.clip(x, None, pos_embedding=False, text_features=self.text_features)
        probs = logits.reshape(x.shape[0], -1, 2).softmax(dim=-1)
        return probs[..., 0].mean(dim=1)
