"""On-the-fly corpora: every item equals the generated corpus's item bit for bit; bad sources name themselves."""

from __future__ import annotations

import pytest
import torch
from corpus_helpers import CONFIG

from degrade.corpus import PairedCorpus, folder_source, generate
from degrade.corpus.config import parse_config
from degrade.corpus.onthefly import OnTheFlyCorpus
from restorebench.errors import InputError

MIXED = {**CONFIG, "tasks": [
    {"name": "rain", "weight": 1, "spec": {"op": "rain.streaks"}},
    {"name": "haze_jpeg", "weight": 1, "spec": {"policy": "chain", "items": [
        {"op": "haze.atmospheric"}, {"op": "jpeg.compress", "severity": [1, 5]}]}},
    {"name": "noise", "weight": 1, "spec": {"op": "noise.gaussian", "ranges": {"sigma": [5, 50]}}},
], "sources": {"max_pixels": 100_000}}


@pytest.mark.parametrize("raw", [{**CONFIG, "sources": {"max_pixels": 100_000}}, MIXED,
                                 {**MIXED, "output": {"bits": 16}}], ids=["noise", "mixed", "16bit"])
def test_items_equal_the_generated_corpus(tmp_path, source_dir, raw):
    cfg = parse_config(raw)
    src = folder_source(source_dir)
    generate(src, tmp_path / "c", cfg, progress=False)
    disk = PairedCorpus(tmp_path / "c")
    fly = OnTheFlyCorpus(src, cfg)
    assert len(disk) > 0
    by_index = {disk[i]["index"]: disk[i] for i in range(len(disk))}
    for index, want in by_index.items():
        got = fly[index]
        assert got["task"] == want["task"] and got["recipe"] == want["recipe"] and got["id"] == want["id"]
        assert torch.equal(got["gt"], want["gt"]) and torch.equal(got["lq"], want["lq"])


def test_bad_source_raises_one_line_naming_it(source_dir, config):
    fly = OnTheFlyCorpus(folder_source(source_dir), config)
    names = fly.source.names
    bad = next(k for k, n in enumerate(names) if n == "bad_truncated.png")
    with pytest.raises(InputError, match="bad_truncated.png") as err:
        fly[fly.plan.offsets[bad]]
    assert "\n" not in str(err.value)
    with pytest.raises(IndexError):
        fly[len(fly)]


def test_instructions_are_refused(source_dir):
    cfg = parse_config({**CONFIG, "instructions": {"enabled": True}})
    with pytest.raises(InputError, match="instructions"):
        OnTheFlyCorpus(folder_source(source_dir), cfg)
