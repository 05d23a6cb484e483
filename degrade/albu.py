"""albumentations adapters (optional extra ``restorebench[albu]``, albumentations 2.0.8, MIT).

``DegradeTransform(op="noise.gaussian", severity=3)`` wraps any registered operator as an
``ImageOnlyTransform``. Its parameters are sampled from the transform's ``random_generator``, which
``A.Compose(..., seed=...)`` seeds as albumentations documents, so a seeded pipeline is reproducible;
with ``Compose(save_applied_params=True)`` the applied operator params land in ``applied_transforms``.
uint8 inputs are converted to float32 [0,1] and back (rounding); float32 inputs stay float32.
``transforms()`` returns one configured transform per registered operator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from degrade.registry import get, list_ops
from restorebench.errors import InputError

try:
    import albumentations as A
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("degrade.albu needs albumentations: pip install 'restorebench[albu]'") from exc


class DegradeTransform(A.ImageOnlyTransform):
    """One restorebench operator as an albumentations transform (HxWx3 uint8 or float32 [0,1] images)."""

    def __init__(self, op: str, severity: int | None = None, ranges: dict | None = None, p: float = 1.0):
        super().__init__(p=p)
        self.op = op
        self.severity = severity
        self.ranges = dict(ranges or {})
        self._operator = get(op)
        if severity is not None and severity not in self._operator.severities:
            raise InputError(f"{op}: severity {severity!r} outside {sorted(self._operator.severities)}")

    def get_params(self) -> dict[str, Any]:
        return {"op_params": self._operator.sample(self.random_generator, self.severity, **self.ranges)}

    def apply(self, img: np.ndarray, op_params: dict, **_: Any) -> np.ndarray:
        if img.dtype == np.uint8:
            out = self._operator.apply(img.astype(np.float32) / 255.0, op_params)
            return (out * 255.0 + 0.5).astype(np.uint8)
        return self._operator.apply(img, op_params)

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        return ("op", "severity", "ranges")


def transforms(severity: int = 3, pattern: str = "*", p: float = 1.0) -> list[DegradeTransform]:
    """One DegradeTransform per registered operator matching ``pattern``, at ``severity``."""
    return [DegradeTransform(name, severity=severity, p=p) for name in list_ops(pattern) if get(name).severities]
