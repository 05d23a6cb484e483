"""Orthonormal colour transforms used by the classical denoisers.

The 3-point DCT colour transform (Yu & Sapiro 2011; also BM3D's "opp" space up to scaling) decorrelates
R, G, B into a luminance and two opponent channels. Being orthonormal, it keeps white noise of std sigma
white with the same sigma in every output channel.
"""

from __future__ import annotations

import numpy as np

DCT3 = np.array([[1 / np.sqrt(3)] * 3,
                 [1 / np.sqrt(2), 0.0, -1 / np.sqrt(2)],
                 [1 / np.sqrt(6), -2 / np.sqrt(6), 1 / np.sqrt(6)]], np.float32)


def to_opponent(img: np.ndarray) -> np.ndarray:
    """HxWx3 RGB -> HxWx3 (luminance, two opponent channels); orthonormal."""
    return img @ DCT3.T


def from_opponent(img: np.ndarray) -> np.ndarray:
    """Inverse of :func:`to_opponent`."""
    return img @ DCT3
