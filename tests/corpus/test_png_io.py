"""The PNG paths the corpus relies on: fast encoders are lossless and deterministic; bytes decode like files."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from restorebench.errors import InputError
from restorebench.imageio import encode_png, read_image, to_uint8, to_uint16


@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("fast", [False, True])
def test_png_encoders_are_lossless_and_deterministic(photo_crops, bits, fast):
    img = photo_crops[1]
    noisy = np.clip(img + np.random.default_rng(0).normal(0, 0.1, img.shape).astype(np.float32), 0, 1)
    for x in (img, noisy):
        data = encode_png(x, bits, fast=fast)
        assert data == encode_png(x.copy(), bits, fast=fast)
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)[:, :, ::-1]
        expected = to_uint8(x) if bits == 8 else to_uint16(x)
        assert decoded.dtype == expected.dtype and np.array_equal(decoded, expected)


def test_read_image_from_bytes_equals_reading_the_file(tmp_path, photo_crops):
    path = tmp_path / "x.png"
    path.write_bytes(encode_png(photo_crops[0], fast=True))
    assert np.array_equal(read_image("cell-name", data=path.read_bytes()), read_image(path))
    with pytest.raises(InputError, match="cell-name"):
        read_image("cell-name", data=b"garbage")
