"""Plumbing: image I/O errors and conversions, atomic writes, seeds, weights resolver, input validation."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

from restorebench import imageio, seeding, weights
from restorebench.engine import map_chunks, map_threads
from restorebench.errors import ChecksumMismatch, InputError, WeightsUnavailable
from restorebench.validate import check_image


def test_sample_rng_depends_only_on_seed_and_index():
    a = seeding.sample_rng(3, 17).random(4)
    b = seeding.sample_rng(3, 17).random(4)
    c = seeding.sample_rng(3, 18).random(4)
    assert (a == b).all() and not (a == c).any()


@pytest.mark.parametrize("n, threads", [(0, 4), (1, 4), (7, 1), (7, 3), (7, 7), (7, 16)])
def test_map_chunks_covers_the_items_in_order(n, threads):
    chunks = map_chunks(list, list(range(n)), threads)
    assert [x for c in chunks for x in c] == list(range(n))
    assert len(chunks) == min(max(threads, 1), n) and all(chunks)
    assert max(map(len, chunks), default=0) - min(map(len, chunks), default=0) <= 1


def test_map_threads_nested_in_its_own_pool_runs_inline():
    """A map called from a pool thread runs in that thread instead of waiting on the pool it occupies."""
    import threading

    inner = [list(range(k)) for k in range(6)]
    out: list = []
    runner = threading.Thread(target=lambda: out.append(map_threads(lambda xs: map_threads(sum, [xs, xs], 2), inner, 2)),
                              daemon=True)
    runner.start()
    runner.join(timeout=120)
    assert not runner.is_alive(), "the nested map waited on its own pool"
    assert out == [[[sum(x)] * 2 for x in inner]]


def _map_in_child(queue) -> None:
    queue.put(map_threads(abs, [-1, -2, -3], 2))


def test_map_threads_works_in_a_forked_child():
    """The parent's kept pool has no threads in a fork; the child starts its own."""
    import multiprocessing as mp

    assert map_threads(abs, [-1, -2], 2) == [1, 2]  # the parent now holds a 2-thread pool
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_map_in_child, args=(queue,))
    child.start()
    try:
        assert queue.get(timeout=120) == [1, 2, 3]
    finally:
        child.join(timeout=120)
        if child.is_alive():
            child.kill()


@pytest.mark.parametrize("arr, match", [
    (np.zeros((32, 32), np.float32), "grayscale"),
    (np.zeros((32, 32, 4), np.float32), "RGBA"),
    (np.zeros((32, 32, 3), np.uint16), "float32"),
    (np.zeros((1, 1, 3), np.float32), "1x1"),
    (np.zeros((7, 7, 3), np.float32), "7x7"),
    (np.full((32, 32, 3), np.nan, np.float32), "NaN"),
    (np.full((32, 32, 3), np.inf, np.float32), "NaN or Inf"),
    (np.full((32, 32, 3), 2.0, np.float32), "outside"),
])
def test_check_image_rejects_bad_arrays(arr, match):
    with pytest.raises(InputError, match=match):
        check_image(arr)


@pytest.mark.parametrize("edge", [-1e-6, 1 + 1e-6])
def test_check_image_slack_is_exact_at_the_float32_neighbours_of_its_bounds(edge):
    """The one-pass float32 check (contiguous images) and the min/max check (others) accept the same values:
    every float32 within [-1e-6, 1 + 1e-6], none beyond, wherever the value lies."""
    below = np.nextafter(np.float32(edge), np.float32(-np.inf))
    candidates = [below, np.float32(edge), np.nextafter(np.float32(edge), np.float32(np.inf))]
    for v in candidates:
        inside = -1e-6 <= float(v) <= 1 + 1e-6
        for layout in (np.ascontiguousarray, np.asfortranarray):
            img = np.full((20, 24, 3), 0.5, np.float32)
            img[17, 3, 1] = v
            img = layout(img)
            if inside:
                assert check_image(img) is img
            else:
                with pytest.raises(InputError, match="outside"):
                    check_image(img)


def _save(path, arr, mode=None):
    Image.fromarray(arr, mode=mode).save(path)
    return path


def test_read_image_strict_and_convert(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    p = _save(tmp_path / "rgb.png", rgb)
    out = imageio.read_image(p)
    assert out.dtype == np.float32 and out.shape == (20, 24, 3)
    assert np.array_equal(imageio.to_uint8(out), rgb)

    gray = _save(tmp_path / "gray.png", rgb[:, :, 0])
    with pytest.raises(InputError, match=r"gray\.png: gray8"):
        imageio.read_image(gray)
    assert np.array_equal(imageio.read_image(gray, convert=True)[:, :, 2], rgb[:, :, 0] / np.float32(255))

    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 128, np.uint8)])
    p = _save(tmp_path / "rgba.png", rgba)
    with pytest.raises(InputError, match="rgba8"):
        imageio.read_image(p)
    with pytest.raises(InputError, match="transparent"):
        imageio.read_image(p, convert=True)


def test_read_image_truncated_and_missing(tmp_path):
    p = _save(tmp_path / "ok.png", np.zeros((64, 64, 3), np.uint8))
    data = p.read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.png: unreadable or truncated"):
        imageio.read_image(tmp_path / "cut.png")
    with pytest.raises(InputError, match="no such file"):
        imageio.read_image(tmp_path / "none.png")


def test_sixteen_bit_png_round_trip(tmp_path):
    img = np.random.default_rng(1).random((16, 16, 3)).astype(np.float32)
    p = imageio.write_image(tmp_path / "x.png", img, bits=16)
    with pytest.raises(InputError, match="16"):
        imageio.read_image(p)
    back = imageio.read_image(p, convert=True)
    assert np.abs(back - img).max() < 1 / 65535


def test_write_image_leaves_no_temp_files(tmp_path):
    img = np.zeros((16, 16, 3), np.float32)
    for suffix in (".png", ".jpg", ".bmp"):
        imageio.write_image(tmp_path / f"a{suffix}", img)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bmp", "a.jpg", "a.png"]


def test_weights_resolver(tmp_path, monkeypatch):
    payload = b"weights!"
    digest = hashlib.sha256(payload).hexdigest()
    root = tmp_path / "root"
    (root / "restoration").mkdir(parents=True)
    monkeypatch.setenv("RESTOREBENCH_WEIGHTS", str(root))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    monkeypatch.setenv("RESTOREBENCH_OFFLINE", "1")
    wf = weights.WeightFile("w.pth", digest, url="https://example.invalid/w.pth")
    with pytest.raises(WeightsUnavailable) as info:
        weights.resolve(wf)
    msg = str(info.value)
    assert "w.pth" in msg and digest in msg and str(root / "restoration" / "w.pth") in msg and "example.invalid" in msg
    (root / "restoration" / "w.pth").write_bytes(payload)
    assert weights.resolve(wf) == root / "restoration" / "w.pth"
    assert weights.status(wf)[0]
    bad = weights.WeightFile("w.pth", "0" * 64)
    with pytest.raises(ChecksumMismatch, match="differs"):
        weights.resolve(bad)
    assert not weights.status(bad)[0]


def test_missing_file_is_sent_to_the_root_that_holds_its_kind(tmp_path, monkeypatch):
    torch_tree, bare = tmp_path / "torch", tmp_path / "restoration"
    (torch_tree / "hub" / "pyiqa").mkdir(parents=True)
    bare.mkdir()
    monkeypatch.setenv("RESTOREBENCH_WEIGHTS", f"{torch_tree}:{bare}")
    assert weights.home_of(weights.WeightFile("net.pth", None)) == bare / "net.pth"
    assert weights.home_of(weights.WeightFile("h.pth", None, subdir="hub/pyiqa")) == torch_tree / "hub/pyiqa/h.pth"
    assert weights.home_of(weights.WeightFile("b.pth", None, subdir="hub/checkpoints")) == torch_tree / "hub/checkpoints/b.pth"


def test_compiled_loops_load_numba_on_first_call_only(tmp_path):
    import subprocess
    import sys

    (tmp_path / "loops.py").write_text(
        "from restorebench.jit import compiled\n\n\n@compiled\ndef twice(a, out):\n"
        "    for i in range(a.size):\n        out[i] = a[i] * 2\n")
    code = ("import sys, numpy as np, degrade, degrade.ops, loops; assert 'numba' not in sys.modules\n"
            "out = np.empty(3, np.float32); loops.twice(np.arange(3, dtype=np.float32), out)\n"
            "assert 'numba' in sys.modules and out.tolist() == [0.0, 2.0, 4.0] and loops.twice.__name__ == 'twice'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
