"""Harness and CLIs: pairing by name and id prefix, problems reported, batched == one-by-one per image,
per-image parquet with protocols, no-reference mode, `restorebench score` and `restorebench weights`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from benchmark import cli_score, cli_weights
from benchmark.harness import load_protocols, pair_folders, save_scores, score_arrays, score_pairs
from restorebench.imageio import write_image


@pytest.fixture(scope="module")
def folders(tmp_path_factory, pairs):
    """pred/ and gt/ PNG folders: 3 pairs (one SOTS-style name), one orphan pred, one unused gt, one pair
    of different sizes."""
    pred, gt = pairs
    root = tmp_path_factory.mktemp("folders")
    (root / "pred").mkdir()
    (root / "gt").mkdir()
    write_image(root / "pred" / "a.png", pred[0])
    write_image(root / "gt" / "a.png", gt[0])
    write_image(root / "pred" / "b.png", pred[1])
    write_image(root / "gt" / "b.png", gt[1])
    write_image(root / "pred" / "0001_0.8_0.2.png", pred[2])
    write_image(root / "gt" / "0001.png", gt[2])
    write_image(root / "pred" / "lonely.png", pred[0])
    write_image(root / "gt" / "unused.png", gt[0])
    write_image(root / "pred" / "small.png", pred[0][:64])
    write_image(root / "gt" / "small.png", gt[0])
    return root


def test_pair_folders(folders):
    pairs, problems = pair_folders(folders / "pred", folders / "gt")
    assert {(i, p.name, g.name) for i, p, g in pairs} == {
        ("a", "a.png", "a.png"),
        ("b", "b.png", "b.png"),
        ("0001_0.8_0.2", "0001_0.8_0.2.png", "0001.png"),
        ("small", "small.png", "small.png"),
    }
    assert len(problems) == 2
    assert any("lonely.png" in p and "no ground truth" in p for p in problems)
    assert any("unused.png" in p and "no prediction" in p for p in problems)


def test_sots_example(shared):
    root = shared / "data" / "paired" / "SOTS_outdoor_examples"
    pairs, problems = pair_folders(root / "input", root / "target")
    assert problems == []
    assert sorted((p.name, g.name) for _, p, g in pairs) == [
        ("0001_0.8_0.2.jpg", "0001.png"),
        ("0002_0.8_0.08.jpg", "0002.png"),
    ]


def test_batched_equals_one_by_one_and_mismatch_reported(folders):
    pairs, _ = pair_folders(folders / "pred", folders / "gt")
    batched = score_pairs(pairs, ["psnr", "ssim"], "basicsr", batch_size=8)
    single = score_pairs(pairs, ["psnr", "ssim"], "basicsr", batch_size=1)
    key = ["image_id", "metric"]
    b, s = batched.sort_values(key).reset_index(drop=True), single.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(b, s)
    assert list(batched.columns) == ["image_id", "metric", "value", "protocol", "note"]
    bad = batched[batched.image_id == "small"]
    assert len(bad) == 2 and bad.value.isna().all() and bad.note.str.contains("size mismatch").all()
    good = batched[batched.image_id != "small"]
    assert good.note.isna().all() and (good.protocol == "basicsr").all() and len(good) == 6


def test_score_arrays_matches_files_and_no_reference_mode(folders, pairs):
    pred, gt = pairs
    # files hold 8-bit values: the basicsr protocol quantizes by rounding, so arrays give the same scores
    arr = score_arrays(list(pred), list(gt), ["x", "y", "z"], ["psnr"], "basicsr")
    files, _ = pair_folders(folders / "pred", folders / "gt")
    by_id = {i: (p, g) for i, p, g in files}
    ref = score_pairs(
        [("x", *by_id["a"]), ("y", *by_id["b"]), ("z", *by_id["0001_0.8_0.2"])], ["psnr"], "basicsr"
    )
    np.testing.assert_allclose(arr.value.to_numpy(), ref.value.to_numpy(), atol=1e-9)
    nr = score_arrays(list(pred), None, ["x", "y", "z"], ["psnr"], "basicsr")
    assert len(nr) == 1 and nr.image_id[0] == "__set__" and "needs ground truth" in nr.note[0]


def test_parquet_keeps_rows_and_protocols(tmp_path, pairs):
    pred, gt = pairs
    df = pd.concat(
        [score_arrays(list(pred), list(gt), ["x", "y", "z"], ["psnr"], p) for p in ("basicsr", "promptir")]
    )
    path = save_scores(df, tmp_path / "s.parquet", ["basicsr", "promptir"])
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back.reset_index(drop=True), df.reset_index(drop=True))
    protos = load_protocols(path)
    assert [p["name"] for p in protos] == ["basicsr", "promptir"] and protos[1]["crop_multiple"] == 16


def test_cli_score_side_by_side(tmp_path, pairs, capsys):
    pred, gt = pairs
    for i in range(2):
        write_image(tmp_path / "pred" / f"{i}.png", pred[i][:40, :40])
        write_image(tmp_path / "gt" / f"{i}.png", gt[i][:40, :40])
    out = tmp_path / "scores.parquet"
    rc = cli_score.main(
        [
            "--pred",
            str(tmp_path / "pred"),
            "--gt",
            str(tmp_path / "gt"),
            "--metrics",
            "psnr,ssim",
            "--protocol",
            "basicsr,promptir",
            "--crop-border",
            "2",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert rc == 0
    df = pd.read_parquet(out)
    assert set(df.protocol) == {"basicsr+crop2", "promptir+crop2"} and len(df) == 8
    assert df.value.notna().all()
    a, b = (
        df[(df.metric == "psnr") & (df.protocol == p)].value.to_numpy()
        for p in ("basicsr+crop2", "promptir+crop2")
    )
    assert np.all(np.abs(a - b) > 0.01)  # Y vs RGB, 36x36 vs 32x32: the conventions matter
    assert "psnr" in capsys.readouterr().out


def test_fid_of_a_folder_with_itself_is_zero(tmp_path, pairs):
    from benchmark.metrics import metric_info

    if not metric_info("fid")["available"]:
        pytest.skip(f"fid: {metric_info('fid')['reason']}")
    _, gt = pairs
    for i in range(2):
        write_image(tmp_path / f"{i}.png", gt[i][:64, :64])
    df = score_pairs(
        [(str(i), tmp_path / f"{i}.png", tmp_path / f"{i}.png") for i in range(2)], ["fid"], "rgb"
    )
    assert len(df) == 1 and df.image_id[0] == "__set__" and abs(df.value[0]) < 1e-6


def test_cli_score_reports_problems(folders, tmp_path, capsys):
    rc = cli_score.main(
        [
            "--pred",
            str(folders / "pred"),
            "--gt",
            str(folders / "gt"),
            "--out",
            str(tmp_path / "s.parquet"),
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1 and "lonely.png" in err and "unused.png" in err and "size mismatch" in err


def test_cli_weights_lists_metric_files(capsys):
    assert cli_weights.main(["--metrics", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    names = {r["name"] for r in records}
    assert {
        "alexnet-owt-7be5be79.pth",
        "vgg16-397923af.pth",
        "LPIPS_v0.1_alex-df73285e.pth",
        "DISTS_weights-f5e65c96.pth",
        "niqe_pris_params.npz",
        "RN50.pt",
        "default_1.pt",
    } <= names
    for r in records:
        assert r["present"] or "put it at" in r["detail"] or "sha256" in r["detail"]


def test_cli_weights_with_shared_tree(shared, capsys):
    cli_weights.main(["--metrics", "--json"])
    records = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert records["niqe_pris_params.npz"]["present"] and records["DISTS_weights-f5e65c96.pth"]["present"]
    assert not records["vgg16-397923af.pth"]["present"]
