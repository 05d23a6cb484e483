"""jpeg.compress: PSNR at the quality extremes on photos, subsampling, 8-bit output, agreement with Pillow."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import degrade


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a.astype(np.float64) - b) ** 2)))


@pytest.fixture(scope="module")
def photos() -> list[np.ndarray]:
    """256x256 crops of the astronaut and coffee photos (Kodak-like natural images)."""
    from skimage import data

    return [np.ascontiguousarray(im[:256, 100:356].astype(np.float32) / 255.0)
            for im in (data.astronaut(), data.coffee())]


def test_quality_100_is_near_lossless(photos):
    op = degrade.get("jpeg.compress")
    for img in photos:
        assert psnr(op.apply(img, {"quality": 100, "subsampling": "444"}), img) > 45.0


def test_quality_10_is_visibly_lossy(photos):
    op = degrade.get("jpeg.compress")
    for img in photos:
        assert psnr(op.apply(img, {"quality": 10, "subsampling": "420"}), img) < 32.0


def test_psnr_grows_with_quality_and_without_subsampling(photos):
    op = degrade.get("jpeg.compress")
    img = photos[0]
    by_q = [psnr(op.apply(img, {"quality": q, "subsampling": "420"}), img) for q in (10, 30, 60, 90)]
    assert by_q == sorted(by_q)
    by_ss = [psnr(op.apply(img, {"quality": 90, "subsampling": s}), img) for s in ("420", "422", "444")]
    assert by_ss == sorted(by_ss)


def test_output_is_8_bit(photos):
    out = degrade.get("jpeg.compress").apply(photos[1], {"quality": 50, "subsampling": "420"})
    assert np.allclose(out * 255, np.round(out * 255), atol=1e-3)


@pytest.mark.parametrize("subsampling,pil", [("420", 2), ("444", 0)])
def test_matches_pillow_libjpeg(photos, subsampling, pil):
    img = photos[0]
    ours = degrade.get("jpeg.compress").apply(img, {"quality": 40, "subsampling": subsampling})
    buf = io.BytesIO()
    Image.fromarray(np.rint(img * 255).astype(np.uint8)).save(buf, "JPEG", quality=40, subsampling=pil)
    theirs = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), np.float32) / 255.0
    assert np.abs(ours - theirs).max() <= 2 / 255 + 1e-6
    assert np.mean(ours != theirs) < 0.05


def test_quality_extremes_on_kodak(shared):
    from restorebench.imageio import read_image

    op = degrade.get("jpeg.compress")
    for name in ("kodim03.png", "kodim15.png", "kodim23.png"):
        img = read_image(shared / "data" / "clean" / "Kodak24" / name)
        assert psnr(op.apply(img, {"quality": 100, "subsampling": "444"}), img) > 45.0
        assert psnr(op.apply(img, {"quality": 10, "subsampling": "420"}), img) < 32.0
