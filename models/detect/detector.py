"""Detecting degradations: what a trained detector (a ``family: detector`` registry entry) says about images.

    from models.detect import load_detector
    det = load_detector()                    # the default detector-cnn-drops, on the CPU
    d = det.detect_image(img)                # HxWx3 float32 [0,1] -> Detection
    d.dominant, d.probabilities["noise"], d.severity, d.sigma

A :class:`Detection` holds the probability of every label of ``degrade.labels.LABELS`` (independent sigmoids:
mixtures have several labels near 1), the dominant label (the most probable one, ``clean`` included), the
present labels (those whose probability reaches the label's threshold: the registry entry's ``thresholds``,
chosen on a calibration corpus by ``benchmark.detector_thresholds``, else :data:`PRESENT`), the severity of
each label on the operators' 1-5 scale, and, when noise or JPEG is present, the Gaussian-equivalent
noise sigma (0-255) and the JPEG quality. Images larger than :data:`MAX_SIDE` on a side are judged on their
central ``MAX_SIDE`` x ``MAX_SIDE`` crop; images smaller than :data:`MIN_SIDE` are refused (InputError).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from degrade.labels import CLEAN, LABELS
from models.registry import get_info
from restorebench.errors import InputError
from restorebench.validate import check_batch, check_image

DEFAULT_DETECTOR = "detector-cnn-drops"
PRESENT = 0.5
"""A label without a threshold of its own is present when its probability reaches this."""
MIN_SIDE = 32
MAX_SIDE = 1024


def reaches(probability: float, label: str, thresholds: Mapping[str, float]) -> bool:
    """True when ``label`` is present at ``probability``: at least its threshold, or :data:`PRESENT`."""
    return probability >= thresholds.get(label, PRESENT)


@dataclass(frozen=True)
class Detection:
    """One image's detection (see the module docstring). ``severities``: label -> 1-5 (degradation labels);
    ``sigma``/``quality``: None unless noise / JPEG is present; ``thresholds``: label -> the probability from
    which it is present (unlisted labels: :data:`PRESENT`)."""

    probabilities: dict[str, float]
    severities: dict[str, float]
    sigma: float | None = None
    quality: float | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)

    @property
    def dominant(self) -> str:
        """The most probable label (``clean`` included)."""
        return max(self.probabilities, key=self.probabilities.__getitem__)

    @property
    def present(self) -> list[str]:
        """Degradation labels whose probability reaches their threshold, most probable first."""
        return sorted((k for k, p in self.probabilities.items() if k != CLEAN and reaches(p, k, self.thresholds)),
                      key=lambda k: -self.probabilities[k])

    @property
    def clean(self) -> bool:
        """True when the dominant label is ``clean``."""
        return self.dominant == CLEAN

    @property
    def severity(self) -> float:
        """Severity (1-5) of the dominant label; 0 for a clean image."""
        return 0.0 if self.clean else self.severities[self.dominant]

    def ranked(self) -> list[str]:
        """Degradation labels, most probable first."""
        return sorted(self.severities, key=lambda k: -self.probabilities[k])

    def to_row(self) -> dict[str, Any]:
        """Flat record: ``dominant``, ``severity``, ``present`` (``+``-joined), ``sigma``, ``quality`` and
        ``p_<label>`` for every label."""
        row: dict[str, Any] = {"dominant": self.dominant, "severity": round(self.severity, 2),
                               "present": "+".join(self.present) or CLEAN,
                               "sigma": None if self.sigma is None else round(self.sigma, 1),
                               "quality": None if self.quality is None else round(self.quality, 1)}
        row.update({f"p_{k}": round(v, 4) for k, v in self.probabilities.items()})
        return row


def _centre(x: Any, side: int) -> Any:
    h, w = x.shape[-2:]
    top, left = max(0, (h - side) // 2), max(0, (w - side) // 2)
    return x[..., top:top + side, left:left + side]


class Detector:
    """A trained degradation detector: ``det(x)`` maps an Nx3xHxW float [0,1] batch to N detections."""

    def __init__(self, name: str = DEFAULT_DETECTOR, weights: str | os.PathLike | None = None, device: Any = "cpu"):
        import torch

        from models.network import build_network

        info = get_info(name)
        if info.family != "detector":
            raise InputError(f"{name}: not a degradation detector (family {info.family}); use e.g. {DEFAULT_DETECTOR}")
        if tuple(info.tasks) != LABELS:
            raise InputError(f"{name}: its labels {list(info.tasks)} are not degrade.labels.LABELS {list(LABELS)}")
        self.info = info
        self.device = torch.device(device)
        self.module = build_network(info, weights).to(self.device)

    def __call__(self, x: Any) -> list[Detection]:
        """Detections of an Nx3xHxW float batch in [0,1] (sides at least :data:`MIN_SIDE`)."""
        import torch

        check_batch(x, f"{self.info.name} input")
        if min(x.shape[-2:]) < MIN_SIDE:
            raise InputError(f"{self.info.name}: a {x.shape[-1]}x{x.shape[-2]} image is too small to judge; the "
                             f"detector needs at least {MIN_SIDE}x{MIN_SIDE} pixels")
        with torch.inference_mode():
            out = self.module(_centre(x, MAX_SIDE).to(self.device, torch.float32))
        probs = torch.sigmoid(out["logits"]).cpu().numpy()
        severity = out["severity"].clamp(1, 5).cpu().numpy()
        sigma = out["sigma"].clamp(0, 255).cpu().numpy()
        quality = out["quality"].clamp(1, 100).cpu().numpy()
        found = []
        limit = self.info.thresholds
        for i in range(len(probs)):
            p = {k: float(v) for k, v in zip(LABELS, probs[i])}
            found.append(Detection(p, {k: float(v) for k, v in zip(LABELS, severity[i]) if k != CLEAN},
                                   float(sigma[i]) if reaches(p["noise"], "noise", limit) else None,
                                   float(quality[i]) if reaches(p["jpeg"], "jpeg", limit) else None, limit))
        return found

    def detect_image(self, img: np.ndarray) -> Detection:
        """Detection of one HxWx3 float32 [0,1] image."""
        import torch

        check_image(img, f"{self.info.name} input")
        return self(torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None])[0]


def load_detector(name: str = DEFAULT_DETECTOR, weights: str | os.PathLike | None = None,
                  device: Any = "cpu") -> Detector:
    """The detector registry entry ``name`` with its verified weights (or ``weights=PATH`` / ``"random"``)."""
    return Detector(name, weights, device)
