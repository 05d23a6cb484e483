"""Corpus generation: reproducible bytes across workers and shards, faithful pixels and recipes, bad sources."""

from __future__ import annotations

import csv
import itertools
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from corpus_helpers import CONFIG, DyingSource, tree, write_bad_sources
from PIL import Image

import degrade
from degrade.corpus import folder_source, generate, list_source, merge_shards, parse_config
from degrade.corpus.manifest import SCHEMA
from degrade.corpus.patches import grid_starts
from restorebench.errors import InputError, RestoreBenchError
from restorebench.imageio import to_uint8


@pytest.fixture(scope="module")
def single(tmp_path_factory, source_dir, config):
    """The reference corpus: one worker, one shard."""
    out = tmp_path_factory.mktemp("single") / "corpus"
    summary = generate(folder_source(source_dir), out, config, progress=False)
    return out, summary


def test_one_worker_two_workers_two_shards_identical(tmp_path, source_dir, config, single):
    ref, _ = single
    generate(folder_source(source_dir), tmp_path / "w2", config, workers=2, progress=False)
    for i in range(2):
        generate(folder_source(source_dir), tmp_path / "sh", config, shard=(i, 2), progress=False)
    assert not (tmp_path / "sh" / "manifest.parquet").exists()
    merge_shards(tmp_path / "sh")
    expected = tree(ref)
    assert {"manifest.parquet", "skipped.csv", "corpus.json"} <= set(expected)
    assert sum(k.startswith("lq/") for k in expected) == 12  # 4 good photos x 3 patches
    for other in ("w2", "sh"):
        got = tree(tmp_path / other)
        assert sorted(got) == sorted(expected), other
        assert all(got[k] == expected[k] for k in expected), other


def test_manifest_rows_match_files_source_pixels_and_recipes(source_dir, single):
    ref, summary = single
    table = pq.read_table(ref / "manifest.parquet")
    assert table.schema.equals(SCHEMA)
    rows = table.to_pylist()
    assert [r["index"] for r in rows] == sorted(r["index"] for r in rows) and summary.samples == len(rows) == 12
    names = sorted(p.relative_to(source_dir).as_posix() for p in source_dir.rglob("*") if p.is_file())
    for r in rows:
        assert r["source"] == names[r["source_index"]]
        assert r["index"] == 3 * r["source_index"] + r["patch_index"]  # numbering fixed before reading pixels
        src = np.asarray(Image.open(source_dir / r["source"]).convert("RGB"))
        x, y, w, h = r["crop_x"], r["crop_y"], r["crop_w"], r["crop_h"]
        gt = np.asarray(Image.open(ref / r["gt_path"]))
        assert (w, h) == (48, 48) and np.array_equal(gt, src[y:y + h, x:x + w])
        lq = np.asarray(Image.open(ref / r["lq_path"]))
        replayed = degrade.replay(gt.astype(np.float32) / 255, json.loads(r["recipe"]))
        assert np.array_equal(lq, to_uint8(replayed))
        assert r["labels"] == ["noise"] and r["task"] in {"light", "heavy", "double"}
        assert r["instruction_path"] is None and r["seed"] == CONFIG["seed"]
        assert r["gt_bytes"] == (ref / r["gt_path"]).stat().st_size
    assert len({r["lq_sha256"] for r in rows}) == 12


def test_bad_sources_are_skipped_with_reasons(source_dir, single):
    ref, summary = single
    with open(ref / "skipped.csv", newline="") as f:
        skipped = {r["path"]: r["reason"] for r in csv.DictReader(f)}
    expected = write_bad_sources(source_dir)  # same files again: returns the expected reason words
    assert sorted(skipped) == sorted(expected) and summary.skipped == len(expected)
    for name, word in expected.items():
        assert word in skipped[name], (name, skipped[name])


def test_grid_and_whole_modes(tmp_path, source_dir):
    good = [p for p in sorted(source_dir.rglob("photo*.png"))]
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(str(p) for p in reversed(good)) + "\n# a comment\n\n")
    cfg = parse_config({**CONFIG, "patches": {"mode": "grid", "size": 64, "stride": 40}})
    generate(list_source(listing), tmp_path / "grid", cfg, progress=False)
    rows = pq.read_table(tmp_path / "grid" / "manifest.parquet").to_pylist()
    expected = []
    for p in good:  # list order is sorted by the line's text, which here is the path
        h, w = np.asarray(Image.open(p)).shape[:2]
        ys, xs = grid_starts(h, 64, 40), grid_starts(w, 64, 40)
        assert xs[-1] == w - 64 and all(b - a <= 40 for a, b in itertools.pairwise(xs))
        expected += [(str(p), x, y) for y in ys for x in xs]
    assert [(r["source"], r["crop_x"], r["crop_y"]) for r in rows] == expected
    assert [r["index"] for r in rows] == list(range(len(expected)))

    cfg = parse_config({**CONFIG, "patches": {"mode": "whole"}, "output": {"bits": 16}})
    generate(list_source(listing), tmp_path / "whole", cfg, progress=False)
    for r in pq.read_table(tmp_path / "whole" / "manifest.parquet").to_pylist():
        import cv2

        gt16 = cv2.imread(str(tmp_path / "whole" / r["gt_path"]), cv2.IMREAD_UNCHANGED)[:, :, ::-1]
        src = np.asarray(Image.open(r["source"]))
        assert gt16.dtype == np.uint16 and np.array_equal(gt16, src.astype(np.uint16) * 257)
        assert (r["crop_w"], r["crop_h"]) == (src.shape[1], src.shape[0])


def test_refuses_foreign_folder_rerun_and_changed_config(tmp_path, source_dir, config, single):
    ref, _ = single
    (tmp_path / "junk.txt").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        generate(folder_source(source_dir), tmp_path, config, progress=False)
    with pytest.raises(InputError, match="--resume"):
        generate(folder_source(source_dir), ref, config, progress=False)
    other = parse_config({**config.to_dict(), "seed": 12})
    with pytest.raises(InputError, match="another config"):
        generate(folder_source(source_dir), ref, other, resume=True, progress=False)
    with pytest.raises(InputError, match="already has"):
        merge_shards(ref)


def test_instructions_are_the_recipe_on_a_ground(tmp_path, source_dir):
    from degrade.corpus.sampling import instruction_seed
    from degrade.instructions import make_instruction

    cfg = parse_config({**CONFIG, "patches": {"mode": "random", "size": 48, "per_image": 1},
                        "instructions": {"enabled": True, "ground": "te42", "size": 64}})
    listing = tmp_path / "two.txt"
    listing.write_text("\n".join(str(p) for p in sorted(source_dir.rglob("photo*.png"))[:2]))
    generate(list_source(listing), tmp_path / "ins", cfg, progress=False)
    rows = pq.read_table(tmp_path / "ins" / "manifest.parquet").to_pylist()
    assert len(rows) == 2
    for r in rows:
        ins = np.asarray(Image.open(tmp_path / "ins" / r["instruction_path"]))
        expected = make_instruction(json.loads(r["recipe"]), instruction_seed(cfg, r["index"]), ground="te42", size=64)
        assert ins.shape == (64, 64, 3) and np.array_equal(ins, to_uint8(expected.degraded))


def test_a_dead_worker_stops_the_run_with_a_resumable_error(tmp_path, source_dir, config):
    src = folder_source(source_dir)
    dying = DyingSource(src.kind, src.location, src.names, src.paths, die_at=src.names.index("photo0.png"))
    with pytest.raises(RestoreBenchError, match="--resume"):
        generate(dying, tmp_path / "out", config, workers=2, progress=False)
    assert not (tmp_path / "out" / "manifest.parquet").exists()
