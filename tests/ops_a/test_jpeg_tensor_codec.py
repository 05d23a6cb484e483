"""degrade.ops.jpeg.tensor_codec: libjpeg's integer pipeline on tensors equals OpenCV's libjpeg-turbo bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import degrade
from degrade.ops.jpeg import tensor_codec


def roundtrip(img: np.ndarray, quality: int, subsampling: str) -> np.ndarray:
    x = torch.from_numpy(img).permute(2, 0, 1)[None]
    return tensor_codec.jpeg_roundtrip(x, [quality], subsampling)[0].permute(1, 2, 0).numpy()


@pytest.mark.parametrize("subsampling", ["444", "422", "420"])
@pytest.mark.parametrize("shape", [(64, 64), (70, 70), (33, 47), (16, 100)])
def test_equals_libjpeg_on_photos_and_noise(subsampling, shape):
    from skimage import data

    rng = np.random.default_rng(sum(shape))
    h, w = shape
    photo = np.ascontiguousarray(data.astronaut()[100:100 + h, 150:150 + w].astype(np.float32) / 255.0)
    noise = rng.random((h, w, 3), dtype=np.float32)
    op = degrade.get("jpeg.compress")
    for img in (photo, noise):
        for quality in (1, int(rng.integers(2, 100)), 100):
            params = {"quality": quality, "subsampling": subsampling}
            assert np.array_equal(roundtrip(img, quality, subsampling), op.apply(img, params)), params


def test_batch_takes_one_quality_per_sample():
    rng = np.random.default_rng(1)
    imgs = rng.random((3, 3, 32, 48), dtype=np.float32)
    out = tensor_codec.jpeg_roundtrip(torch.from_numpy(imgs), [5, 50, 95], "420")
    for i, q in enumerate((5, 50, 95)):
        alone = tensor_codec.jpeg_roundtrip(torch.from_numpy(imgs[i:i + 1]), [q], "420")
        assert torch.equal(out[i:i + 1], alone)
    assert not torch.equal(out[0], out[2])


def test_quality_tables_follow_the_ijg_scaling():
    luma, chroma = tensor_codec.quant_tables([50, 100, 1, 25], torch.device("cpu"))
    assert luma[0].flatten().tolist() == [float(v) for v in tensor_codec.LUMA_TABLE]
    assert luma[1].max() == 1 and chroma[1].max() == 1  # quality 100: all ones
    assert luma[2].min() == 255 and chroma[2].min() == 255  # quality 1: every entry clamped at 255 (baseline)
    assert luma[3, 0, 0, 0, 0, 0] == (16 * 200 + 50) // 100  # quality 25: scale 5000/25 = 200 %
