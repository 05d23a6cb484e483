"""`restorebench models` and `restorebench restore`: listing, restoring a folder, resume, failures."""

from __future__ import annotations

import json

import numpy as np

from restorebench.cli import main
from restorebench.imageio import read_image, write_image


def test_models_lists_entries_with_availability(capsys):
    assert main(["models", "--family", "classical"]) == 0
    out = capsys.readouterr().out
    assert "identity" in out and "derain" in out and "runnable here" in out
    assert main(["models", "bm3d", "--json"]) == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert row["name"] == "bm3d" and row["available"] is False and "RESTOREBENCH_ACADEMIC" in row["reason"]


def test_restore_folder_resumes_and_reports_failures(tmp_path, capsys, astronaut):
    src, dst = tmp_path / "in", tmp_path / "out"
    write_image(src / "a.png", astronaut[:64, :80])
    write_image(src / "sub" / "b.png", astronaut[100:180, :48])
    (src / "broken.png").write_bytes(b"not an image")
    assert main(["restore", "--model", "identity", "--tile", "32", str(src), str(dst)]) == 1
    out = capsys.readouterr()
    assert "2 restored, 0 already done, 1 failed" in out.out and "broken.png" in out.err
    assert np.array_equal(read_image(dst / "a.png"), read_image(src / "a.png"))
    assert read_image(dst / "sub" / "b.png").shape == (80, 48, 3)
    stamp = (dst / "a.png").stat().st_mtime_ns
    (src / "broken.png").unlink()
    assert main(["restore", "--model", "identity", str(src), str(dst)]) == 0
    assert "0 restored, 2 already done, 0 failed" in capsys.readouterr().out
    assert (dst / "a.png").stat().st_mtime_ns == stamp


def test_restore_options_and_errors(tmp_path, capsys, astronaut):
    src = tmp_path / "in"
    write_image(src / "a.png", astronaut[:64, :64])
    assert main(["restore", "--model", "jpeg-deblock", "--set", "quality=20", str(src), str(tmp_path / "o")]) == 0
    assert main(["restore", "--model", "no-such-model", str(src), str(tmp_path / "o2")]) == 2
    assert "unknown model 'no-such-model'" in capsys.readouterr().err
    assert main(["restore", "--model", "nlm", "--set", "sigma", str(src), str(tmp_path / "o3")]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err
