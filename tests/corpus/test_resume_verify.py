"""Resume after SIGKILL gives the uninterrupted corpus; verify catches flipped bytes and deleted files."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml
from corpus_helpers import CONFIG, photos, save_rgb, tree

from degrade.corpus import folder_source, generate, parse_config, verify_corpus
from restorebench.cli import main as cli_main


@pytest.fixture(scope="module")
def kill_job(tmp_path_factory):
    """10 sources of 256x256, 4 random 128-px patches each (40 samples, zlib level 9), and its reference run."""
    root = tmp_path_factory.mktemp("kill")
    src = root / "src"
    imgs = photos()
    for k in range(10):
        img = np.tile(imgs[k % 4], (3, 3, 1))[k * 7:k * 7 + 256, k * 5:k * 5 + 256]
        save_rgb(src / f"img{k:02d}.png", np.ascontiguousarray(img))
    cfg_dict = {**CONFIG, "patches": {"mode": "random", "size": 128, "per_image": 4},
                "output": {"fast_png": False, "compress_level": 9}}
    (root / "cfg.yaml").write_text(yaml.safe_dump(cfg_dict))
    ref = root / "ref"
    generate(folder_source(src), ref, parse_config(cfg_dict), progress=False)
    return root, src, ref


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from restorebench.cli import main; sys.exit(main(sys.argv[1:]))", *args]


BLOCK_AFTER = """
import sys, time
from pathlib import Path
import restorebench.storage as storage
from restorebench.cli import main

written, real = 0, storage.write_bytes_atomic

def write_then_block(path, data):
    # {n} files are written, then the run blocks for good: the kill lands at a known point, whatever the load
    global written
    if written == {n}:
        Path({marker!r}).touch()
        time.sleep(3600)
    written += 1
    real(path, data)

storage.write_bytes_atomic = write_then_block
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_then_resume_equals_uninterrupted_run(kill_job):
    root, src, ref = kill_job
    out, marker = root / "killed", root / "blocked"
    script = root / "block.py"
    script.write_text(BLOCK_AFTER.format(n=13, marker=str(marker)))  # corpus.json, 6 samples (gt + lq): 1.5 sources
    proc = subprocess.Popen([sys.executable, str(script), "generate", str(src), str(out), "--config",
                             str(root / "cfg.yaml"), "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not marker.exists():
        assert proc.poll() is None, "the run ended before it blocked"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    assert not (out / "manifest.parquet").exists() and not list(out.glob("manifest/part-*"))
    written = sorted((out / "lq").glob("*.png"))
    assert len(written) == 6
    # a recorded file damaged after the kill, and a stale temporary, must not survive the resume
    written[0].write_bytes(written[0].read_bytes()[:100])
    (out / "lq" / ".00000039.png.tmp-1-.png").write_bytes(b"partial")
    rc = subprocess.run(_cli("generate", str(src), str(out), "--config", str(root / "cfg.yaml"), "--resume",
                             "--no-progress"), capture_output=True, text=True, check=False)
    assert rc.returncode == 0, rc.stderr
    assert "reused" in rc.stdout
    got, expected = tree(out), tree(ref)
    assert sorted(got) == sorted(expected)
    assert all(got[k] == expected[k] for k in expected)


def test_resume_of_a_finished_run_reuses_everything(kill_job, tmp_path):
    root, src, ref = kill_job
    out = tmp_path / "copy"
    shutil.copytree(ref, out)
    summary = generate(folder_source(src), out, parse_config(yaml.safe_load((root / "cfg.yaml").read_text())),
                       resume=True, progress=False)
    assert (summary.written, summary.reused) == (0, 40)
    assert tree(out) == tree(ref)


def test_verify_catches_flipped_byte_and_deleted_file(kill_job, tmp_path, capsys):
    _, _, ref = kill_job
    out = tmp_path / "v"
    shutil.copytree(ref, out)
    assert verify_corpus(out).ok and cli_main(["verify", str(out)]) == 0
    victim = out / "gt" / "00000005.png"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    (out / "lq" / "00000017.png").unlink()
    report = verify_corpus(out)
    assert report.missing == ["lq/00000017.png"]
    assert [rel for rel, _ in report.corrupt] == ["gt/00000005.png"] and "sha256" in report.corrupt[0][1]
    assert report.checked == 80 and not report.ok
    capsys.readouterr()
    assert cli_main(["verify", str(out)]) == 1
    text = capsys.readouterr().out
    assert "missing: lq/00000017.png" in text and "corrupt: gt/00000005.png" in text


def test_cli_shards_merge_verify_and_hf_export(tmp_path, source_dir, capsys):
    import datasets

    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({**CONFIG, "sources": {"max_pixels": 100_000}}))
    out = tmp_path / "out"
    common = [str(source_dir), str(out), "--config", str(cfg), "--no-progress", "--patch-size", "32"]
    assert cli_main(["generate", *common, "--shard", "1/2"]) == 0
    assert cli_main(["verify", str(out)]) == 2  # shard manifests only: a one-line error
    assert "--merge" in capsys.readouterr().err
    assert cli_main(["generate", *common, "--shard", "0/2"]) == 0
    assert cli_main(["generate", "--merge", str(out)]) == 0
    assert cli_main(["verify", str(out)]) == 0
    whole = tmp_path / "whole"
    assert cli_main(["generate", str(source_dir), str(whole), "--config", str(cfg), "--no-progress",
                     "--patch-size", "32", "--format", "hf"]) == 0
    assert tree(whole / "gt") == tree(out / "gt") and (whole / "manifest.parquet").read_bytes() == (
        out / "manifest.parquet").read_bytes()
    assert len(datasets.load_from_disk(str(whole / "hf"))) == 12
    assert cli_main(["generate", str(source_dir), str(whole), "--config", str(cfg)]) == 2  # needs --resume
    assert cli_main(["generate", str(source_dir), str(tmp_path / "x")]) == 2  # no --config
    assert "--config is required" in capsys.readouterr().err
