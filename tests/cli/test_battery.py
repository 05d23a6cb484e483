"""Bad-input and fault battery, through the CLI: each case gets one clear line and the right exit status,
and no file is lost or left behind."""

from __future__ import annotations

import errno
import hashlib
import json
import pathlib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from PIL import Image

from restorebench.cli import COMMANDS, main
from restorebench.errors import InputError
from restorebench.imageio import write_image

NOISE = {"op": "noise.gaussian", "params": {"sigma": 10.0, "gray": False}}
CORPUS = {"seed": 0, "tasks": [{"name": "n", "weight": 1, "spec": NOISE}], "patches": {"mode": "whole"}}


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run ``restorebench ARGV`` in-process: (exit status, stdout, stderr)."""
    rc = main([str(a) for a in argv])
    got = capsys.readouterr()
    return rc, got.out, got.err


def one_error(err: str, *needles: str) -> None:
    """``err`` holds exactly one line besides progress bars: a restorebench error containing every needle."""
    lines = [line for line in err.strip().splitlines() if "%|" not in line]
    assert len(lines) == 1, err
    assert "error:" in lines[0] and all(n in lines[0] for n in needles), lines[0]


def snapshot(root: Path) -> dict[str, str]:
    """relative path -> sha256 of every file below ``root`` (hidden files included)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def temporaries(root: Path) -> list[Path]:
    return sorted(root.rglob(".*.tmp-*"))


def rgb(side: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((side, side, 3), dtype=np.float32)


@pytest.fixture
def images(tmp_path) -> Path:
    folder = tmp_path / "in"
    for i, name in enumerate(("a.png", "b.png", "sub/c.png")):
        write_image(folder / name, rgb(seed=i))
    return folder


def no_full_disk(monkeypatch) -> None:
    """Every write of a temporary file fails as on a full disk."""
    real = pathlib.Path.write_bytes

    def write_bytes(self, data):
        if ".tmp-" in self.name:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(pathlib.Path, "write_bytes", write_bytes)


# ---- data loss ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["degrade", "restore"])
def test_inputs_differing_only_in_suffix_never_share_an_output(tmp_path, capsys, command):
    src = tmp_path / "in"
    write_image(src / "x.png", rgb(seed=1))
    write_image(src / "x.jpg", rgb(seed=2))
    write_image(src / "y.png", rgb(seed=3))
    before = snapshot(src)
    args = ["--op", "noise.gaussian"] if command == "degrade" else ["--model", "identity"]
    rc, _, err = cli(capsys, command, src, tmp_path / "out", *args)
    assert rc == 1
    assert sum("x.jpg" in line and "x.png" in line for line in err.splitlines()) == 2
    assert not (tmp_path / "out" / "x.png").exists() and (tmp_path / "out" / "y.png").is_file()
    assert snapshot(src) == before


@pytest.mark.parametrize("command", ["degrade", "restore"])
@pytest.mark.parametrize("where", ["same", "inside"])
def test_output_folder_equal_to_or_inside_the_input_is_refused(images, capsys, command, where):
    before = snapshot(images)
    out = images if where == "same" else images / "sub" / "out"
    args = ["--op", "noise.gaussian"] if command == "degrade" else ["--model", "identity", "--overwrite"]
    rc, _, err = cli(capsys, command, images, out, *args)
    assert rc == 2
    one_error(err, "input folder")
    assert snapshot(images) == before


def test_run_report_removes_only_what_it_wrote(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RESTOREBENCH_CACHE", str(tmp_path / "cache"))
    suite = tmp_path / "s.yaml"
    suite.write_text(yaml.safe_dump({
        "name": "battery", "data_root": ".", "protocol": "rgb", "metrics": ["psnr"], "nr_metrics": [],
        "task_defaults": {"source": "skimage:coffee", "crop": 32}, "tasks": {"n": {"spec": NOISE}}}))
    out = tmp_path / "report"
    mine = [out / "plots" / "mine.png", out / "gallery" / "notes.txt", out / "gallery" / "n" / "keep.jpg"]
    for p in mine:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"the user's")
    args = ["run", "--suite", suite, "--models", "identity", "--out", out, "--quiet"]
    assert cli(capsys, *args)[0] == 0
    record = json.loads((out / ".report-files.json").read_text())
    assert "gallery.html" in record and not any("mine" in r or "notes" in r or "keep" in r for r in record)
    # a file the previous report wrote and this one does not is removed; the user's files stay
    (out / "plots" / "stale.png").write_bytes(b"old plot")
    (out / ".report-files.json").write_text(json.dumps([*record, "plots/stale.png"]))
    assert cli(capsys, *args)[0] == 0
    assert not (out / "plots" / "stale.png").exists()
    assert all(p.read_bytes() == b"the user's" for p in mine)
    # a tampered record naming a file outside the report is refused, not followed
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (out / ".report-files.json").write_text(json.dumps(["../victim.txt"]))
    rc, _, err = cli(capsys, *args)
    assert rc == 2 and victim.read_text() == "keep"
    one_error(err, "leads outside")


def test_temporaries_of_a_killed_run_are_removed_and_never_read(images, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    dead = 2**22 + 12345  # above Linux's largest pid: no process has it
    stale = [out / f".a.png.tmp-{dead}.png", images / f".b.png.tmp-{dead}.png"]
    for p in stale:
        p.write_bytes(b"half a png")
    rc, stdout, _ = cli(capsys, "degrade", images, out, "--op", "noise.gaussian")
    assert rc == 0 and "3/3" in stdout
    assert not stale[0].exists() and temporaries(out) == []
    assert not (out / f".b.png.tmp-{dead}.json").exists()
    rc, stdout, err = cli(capsys, "score", "--pred", out, "--gt", images, "--out", tmp_path / "s.parquet", "--quiet")
    assert rc == 0 and "3 images" in stdout and "tmp" not in err


# ---- security ------------------------------------------------------------------------------------------------


@pytest.fixture
def corpus(images, tmp_path, capsys) -> Path:
    cfg = tmp_path / "corpus.yaml"
    cfg.write_text(yaml.safe_dump(CORPUS))
    root = tmp_path / "corpus"
    assert cli(capsys, "generate", images, root, "--config", cfg, "--no-progress")[0] == 0
    return root


@pytest.mark.parametrize("bad", ["../../../../../../etc/passwd", "/etc/passwd"])
def test_manifest_paths_outside_the_corpus_are_refused(corpus, capsys, bad):
    from degrade.corpus import PairedCorpus

    table = pq.read_table(corpus / "manifest.parquet")
    paths = table.column("lq_path").to_pylist()
    paths[0] = bad
    pq.write_table(table.set_column(table.schema.get_field_index("lq_path"), "lq_path", [paths]),
                   corpus / "manifest.parquet")
    rc, stdout, err = cli(capsys, "verify", corpus)
    assert rc == 2 and stdout == ""
    one_error(err, repr(bad))
    with pytest.raises(InputError, match="stay inside"):
        PairedCorpus(corpus)


def test_musiq_checkpoint_is_never_unpickled_as_code(tmp_path):
    import torch
    from pyiqa.archs.musiq_arch import MUSIQ as PyiqaMUSIQ

    from benchmark.metrics.noref import MUSIQ

    marker = tmp_path / "ran"

    class Planted:
        def __reduce__(self):
            return (pathlib.Path.touch, (marker,))

    planted = tmp_path / "planted.pth"
    torch.save({"conv_root.weight": Planted()}, planted)
    with pytest.raises(InputError, match="objects other than plain tensors"):
        MUSIQ(weights_path=planted)
    assert not marker.exists()
    plain = tmp_path / "plain.pth"
    torch.save({f"module.{k}": v for k, v in PyiqaMUSIQ(pretrained=False).state_dict().items()}, plain)
    assert MUSIQ(weights_path=plain).score(torch.rand(1, 3, 40, 40), None).shape == (1,)


def test_weight_files_without_a_full_hash_say_how_they_are_read(tmp_path, monkeypatch):
    from restorebench import weights

    (tmp_path / "restoration").mkdir()
    (tmp_path / "restoration" / "w.pth").write_bytes(b"x")
    monkeypatch.setenv("RESTOREBENCH_WEIGHTS", str(tmp_path))
    ok, why = weights.status(weights.WeightFile("w.pth", None))
    assert ok and "weights_only=True" in why
    full = hashlib.sha256(b"x").hexdigest()
    assert "weights_only" not in weights.status(weights.WeightFile("w.pth", full))[1]


# ---- silent failures and tracebacks ------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [".nan", "-3"])
def test_corpus_config_with_a_bad_parameter_is_refused_up_front(images, tmp_path, capsys, sigma):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(CORPUS).replace("sigma: 10.0", f"sigma: {sigma}"))
    rc, _, err = cli(capsys, "generate", images, tmp_path / "corpus", "--config", cfg)
    assert rc == 2
    one_error(err, "sigma")
    assert not (tmp_path / "corpus").exists()


@pytest.mark.parametrize("option", [["--patch-size", "0"], ["--per-image", "0"], ["--mode", "grid", "--stride", "0"]])
def test_zero_patch_options_are_refused(images, tmp_path, capsys, option):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({**CORPUS, "patches": {"mode": "random", "size": 16}}))
    rc, _, err = cli(capsys, "generate", images, tmp_path / "corpus", "--config", cfg, *option)
    assert rc == 2
    one_error(err, "command-line options")
    assert not (tmp_path / "corpus").exists()


def test_empty_metric_list_is_refused(images, tmp_path, capsys):
    rc, _, err = cli(capsys, "score", "--pred", images, "--gt", images, "--metrics", "", "--out", tmp_path / "s.pq")
    assert rc == 2 and not (tmp_path / "s.pq").exists()
    one_error(err, "--metrics")


@pytest.mark.parametrize("text, needle", [
    ("version: 1\nsteps: []\ncomment: extra\n", "unknown recipe key"),
    ("steps: [{op: noise.gaussian, params: {sigma: 5.0, gray: false, seed: 1}, p: 1}]\n", "step 0"),
    ("policy: chain\nitems: [{op: noise.gaussian\n", "not valid YAML"),
    ("{op: noise.gaussian, ranges: {sigma: [-3, 5]}}\n", "sigma"),
    ("{policy: some_of, min: 3, items: [{op: noise.gaussian}]}\n", "some_of"),
    ("{policy: chain, p: 0.5, items: [{op: noise.gaussian}]}\n", "do not apply"),
])
def test_bad_recipe_files_give_one_line(images, tmp_path, capsys, text, needle):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(text)
    rc, _, err = cli(capsys, "degrade", images, tmp_path / "out", "--recipe", recipe)
    assert rc == 2 and not (tmp_path / "out").exists()
    one_error(err, needle)


def test_malformed_suite_yaml_and_negative_seed_give_one_line(images, tmp_path, capsys):
    suite = tmp_path / "s.yaml"
    suite.write_text("name: x\ntasks: [a, b\n")
    rc, _, err = cli(capsys, "run", "--suite", suite, "--quiet")
    assert rc == 2
    one_error(err, "not a valid suite config")
    rc, _, err = cli(capsys, "degrade", images, tmp_path / "out", "--op", "noise.gaussian", "--seed", "-1")
    assert rc == 2
    one_error(err, "--seed -1")


def test_full_disk_in_degrade_names_the_file_and_leaves_nothing(images, tmp_path, capsys, monkeypatch):
    no_full_disk(monkeypatch)
    rc, _, err = cli(capsys, "degrade", images, tmp_path / "out", "--op", "noise.gaussian")
    assert rc == 2
    one_error(err, str(tmp_path / "out" / "a.png"), "disk is full")
    assert temporaries(tmp_path / "out") == [] and not (tmp_path / "out" / "a.png").exists()


def test_full_disk_in_generate_then_resume(images, tmp_path, capsys, monkeypatch):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(CORPUS))
    root = tmp_path / "corpus"
    with monkeypatch.context() as m:
        no_full_disk(m)
        rc, _, err = cli(capsys, "generate", images, root, "--config", cfg, "--no-progress")
    assert rc == 2
    one_error(err, "disk is full", "--resume")
    assert temporaries(root) == []
    assert cli(capsys, "generate", images, root, "--config", cfg, "--no-progress", "--resume")[0] == 0
    assert cli(capsys, "verify", root)[0] == 0


def test_truncated_manifest_has_a_working_way_out(corpus, images, tmp_path, capsys):
    data = (corpus / "manifest.parquet").read_bytes()
    (corpus / "manifest.parquet").write_bytes(data[: len(data) // 2])
    rc, _, err = cli(capsys, "verify", corpus)
    assert rc == 2
    one_error(err, "--resume")
    rc, _, _ = cli(capsys, "generate", images, corpus, "--config", tmp_path / "corpus.yaml", "--no-progress",
                   "--resume")
    assert rc == 0
    assert (corpus / "manifest.parquet").read_bytes() == data
    assert cli(capsys, "verify", corpus)[0] == 0


@pytest.mark.parametrize("side", [1, 7])
def test_tiny_images_are_named(tmp_path, capsys, side):
    src = tmp_path / "in"
    write_image(src / "tiny.png", rgb(side))
    write_image(src / "ok.png", rgb(32))
    rc, _, err = cli(capsys, "degrade", src, tmp_path / "out", "--op", "noise.gaussian")
    assert rc == 1 and f"{src / 'tiny.png'}:" in err and f"{side}x{side}" in err
    rc, _, err = cli(capsys, "score", "--pred", src, "--gt", src, "--protocol", "promptir", "--out",
                     tmp_path / "s.parquet", "--quiet")
    assert rc == 1
    problems = [line for line in err.splitlines() if line.startswith("problem: tiny")]
    assert len(problems) == 2 and all("nothing is left" in line for line in problems)


def test_converted_predictions_get_a_note_each(tmp_path, capsys):
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    rng = np.random.default_rng(0)
    pred.mkdir()
    Image.fromarray((rng.random((24, 24)) * 255).astype(np.uint8)).save(pred / "gray.png")
    Image.fromarray((rng.random((24, 24, 3)) * 255).astype(np.uint8)).convert("CMYK").save(pred / "cmyk.jpg")
    Image.fromarray((rng.random((24, 24)) * 65535).astype(np.uint16)).save(pred / "deep.png")
    write_image(pred / "rgb.png", rgb(24))
    for name in ("gray", "cmyk", "deep", "rgb"):
        write_image(gt / f"{name}.png", rgb(24, seed=9))
    rc, _, err = cli(capsys, "score", "--pred", pred, "--gt", gt, "--metrics", "psnr", "--out", tmp_path / "s.pq",
                     "--quiet")
    assert rc == 0
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert len(notes) == 3
    assert {"gray8", "cmyk", "gray16"} == {kind for line in notes for kind in ("gray8", "cmyk", "gray16")
                                           if kind in line}


def test_symlink_loops_in_a_source_folder_are_listed_in_skipped_csv(images, tmp_path, capsys):
    (images / "loop1.png").symlink_to("loop2.png")
    (images / "loop2.png").symlink_to("loop1.png")
    (images / "gone.png").symlink_to("nowhere.png")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(CORPUS))
    rc, _, err = cli(capsys, "generate", images, tmp_path / "corpus", "--config", cfg, "--no-progress")
    assert rc == 0 and "3 source(s) skipped" in err
    skipped = (tmp_path / "corpus" / "skipped.csv").read_text()
    assert all(f"{name},{images / name}: broken or looping symbolic link" in skipped
               for name in ("gone.png", "loop1.png", "loop2.png"))
    rc, _, err = cli(capsys, "degrade", images, tmp_path / "out", "--op", "noise.gaussian")
    assert rc == 1 and err.count("symbolic link") == 3


# ---- rough edges ---------------------------------------------------------------------------------------------


def test_instructions_take_what_degrade_takes(images, tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"policy": "some_of", "min": 1, "max": 1,
                                    "items": [NOISE, {"op": "blur.gaussian", "severity": 2}]}))
    assert cli(capsys, "degrade", images, tmp_path / "d", "--recipe", spec)[0] == 0
    sidecar = tmp_path / "d" / "a.json"
    for recipe in (spec, sidecar):
        out = tmp_path / f"ins-{recipe.stem}"
        rc, _, err = cli(capsys, "instructions", "--recipe", recipe, out, "-n", "2", "--size", "64")
        assert rc == 0, err
        assert (out / "00001_degraded.png").is_file()
    replayed = json.loads((tmp_path / "ins-a" / "00000.json").read_text())["recipe"]["steps"]
    assert [s["op"] for s in replayed] == [s["op"] for s in json.loads(sidecar.read_text())["recipe"]["steps"]]


def test_mistyped_command_gets_a_suggestion(capsys):
    rc, _, err = cli(capsys, "degarde")
    assert rc == 2 and err.strip() == "restorebench: unknown command 'degarde'; did you mean 'degrade'?"


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - {"train", "demo"}))
def test_help_texts_have_no_markup(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert text and "``" not in text and ":func:" not in text and ":class:" not in text


def test_no_files_left_by_a_finished_degrade(images, tmp_path, capsys):
    assert cli(capsys, "degrade", images, tmp_path / "out", "--op", "noise.gaussian")[0] == 0
    assert sorted(snapshot(tmp_path / "out")) == ["a.json", "a.png", "b.json", "b.png", "sub/c.json", "sub/c.png"]
