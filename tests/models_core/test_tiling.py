"""Padding and overlap tiling: tiled equals untiled when the overlap covers the receptive field."""

from __future__ import annotations

import pytest
import torch

import models
from models.tiling import axis_weight, pad_to_multiple, tile_starts, tiled_apply
from restorebench.errors import InputError


def test_pad_to_multiple_reflects_and_reports_the_crop():
    x = torch.arange(2 * 3 * 5 * 7, dtype=torch.float32).reshape(2, 3, 5, 7)
    xp, crop = pad_to_multiple(x, 4)
    assert xp.shape == (2, 3, 8, 8) and crop == (5, 7)
    assert torch.equal(xp[..., :5, :7], x)
    assert torch.equal(xp[..., 5, :7], x[..., 3, :])  # reflect: row 5 mirrors row 3
    assert pad_to_multiple(x, 1)[0] is x


def test_tile_starts_cover_the_axis_and_weights_vanish_in_the_halo():
    assert tile_starts(100, 40, 24) == [0, 24, 48, 60]
    assert tile_starts(30, 40, 24) == [0]
    w = axis_weight(100, 24, 40, halo=4, ramp=8)
    assert torch.all(w[:4] == 0) and torch.all(w[-4:] == 0) and torch.all(w[12:28] == 1)
    assert torch.all(axis_weight(100, 0, 40, 4, 8)[:4] == 1)  # image border: full weight


def test_tiled_equals_untiled_within_1e5_when_overlap_covers_receptive_field(tiny_registry):
    x = torch.rand(2, 3, 67, 93, generator=torch.Generator().manual_seed(0))
    r = models.load("tiny-cnn", weights="random")
    ref = r(x)
    r.tile, r.overlap = 32, 12  # halo 4 (receptive field 9) + 4-pixel ramp
    tiled = r(x)
    assert tiled.shape == x.shape
    assert (tiled - ref).abs().max().item() < 1e-5


def test_too_small_overlap_is_detectably_different_or_refused(tiny_registry):
    x = torch.rand(1, 3, 67, 93, generator=torch.Generator().manual_seed(1))
    net = models.load("tiny-cnn", weights="random")
    fn = lambda t: net.forward(t)
    ref = fn(x)
    seams = tiled_apply(fn, x, tile=32, overlap=2, halo=0)  # tiles see zero padding inside the image
    assert (seams - ref).abs().max().item() > 1e-4
    with pytest.raises(InputError, match="overlap"):
        tiled_apply(fn, x, tile=32, overlap=8, halo=4)


def test_size_multiple_padding_tiled_and_untiled(tiny_registry):
    x = torch.rand(1, 3, 67, 93, generator=torch.Generator().manual_seed(2))
    r = models.load("tiny-unshuffled", weights="random")
    ref = r(x)
    assert ref.shape == x.shape
    r.tile, r.overlap = 48, 32  # halo 6 (+ 4x4 cells): exact away from the padded border
    tiled = r(x)
    assert tiled.shape == x.shape
    assert (tiled - ref).abs().max().item() < 1e-5


def test_tiles_smaller_than_the_receptive_field_still_blend(tiny_registry):
    x = torch.rand(1, 3, 67, 93, generator=torch.Generator().manual_seed(3))
    r = models.load("tiny-cnn", weights="random", tile=16)
    assert r.tiling_plan() == (8, 3)  # overlap capped at half the tile, halo shrunk to leave a ramp
    ref = models.load("tiny-cnn", weights="random")
    ref.module.load_state_dict(r.module.state_dict())
    y, y0 = r(x), ref(x)
    assert y.shape == x.shape and (y - y0).abs().mean().item() < 0.05
