"""In-place clamping of float32 numpy images to [0,1]."""

from __future__ import annotations

import numpy as np


def clamp_unit(out: np.ndarray) -> np.ndarray:
    """Clamp a writable float32 array to [0,1] in place (NaN stays NaN, as with np.clip) and return it.

    Runs torch's clamp on the shared memory, a single vectorized pass that is faster than ``np.clip``;
    torch is imported here, not at module level, so ``import degrade`` stays free of it until an operator runs.
    """
    import torch

    torch.from_numpy(out).clamp_(0.0, 1.0)
    return out
