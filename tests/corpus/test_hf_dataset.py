"""HF export round-trips pixel-exactly; HF datasets work as sources; the torch Dataset reads both layouts."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
from PIL import Image

from degrade.corpus import PairedCorpus, export_hf, folder_source, generate, hf_source, open_source
from restorebench.errors import InputError


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, source_dir, config):
    out = tmp_path_factory.mktemp("hf") / "corpus"
    generate(folder_source(source_dir), out, config, progress=False)
    return out


@pytest.fixture(scope="module")
def exported(corpus):
    return export_hf(corpus)


def test_hf_export_round_trips_pixel_exactly(corpus, exported):
    import datasets

    ds = datasets.load_from_disk(str(exported))
    rows = pq.read_table(corpus / "manifest.parquet").to_pylist()
    assert len(ds) == len(rows) and set(ds.features) >= {"gt", "lq", "recipe", "task", "labels", "source"}
    assert isinstance(ds.features["gt"], datasets.Image) and "instruction" not in ds.features
    for ex, row in zip(ds, rows):
        assert ex["id"] == row["id"] and ex["recipe"] == row["recipe"] and ex["labels"] == row["labels"]
        for kind in ("gt", "lq"):
            on_disk = np.asarray(Image.open(corpus / row[f"{kind}_path"]))
            assert np.array_equal(np.asarray(ex[kind].convert("RGB")), on_disk)
    with pytest.raises(InputError, match="already exists"):
        export_hf(corpus)


def test_torch_dataset_reads_both_layouts_identically(corpus, exported):
    folder, hf = PairedCorpus(corpus), PairedCorpus(exported)
    assert (folder.layout, hf.layout) == ("folder", "hf") and len(folder) == len(hf) == 12
    batch = next(iter(torch.utils.data.DataLoader(folder, batch_size=4)))
    assert batch["lq"].shape == (4, 3, 48, 48) and batch["gt"].dtype == torch.float32 and len(batch["id"]) == 4
    for i in (0, 7, 11):
        a, b = folder[i], hf[i]
        assert a["id"] == b["id"] and a["recipe"] == b["recipe"]
        assert torch.equal(a["gt"], b["gt"]) and torch.equal(a["lq"], b["lq"])
        gt_png = np.asarray(Image.open(corpus / "gt" / f"{a['id']}.png"))
        assert np.array_equal((a["gt"].numpy() * 255).round().astype(np.uint8), gt_png.transpose(2, 0, 1))
    with pytest.raises(IndexError):
        folder[12]


def test_hf_dataset_source_gives_the_folder_corpus(tmp_path, source_dir, config, corpus):
    import datasets

    good = folder_source(source_dir)
    cells = [{"bytes": p.read_bytes(), "path": None} for p in good.paths]
    ds = datasets.Dataset.from_dict({"image": cells, "caption": good.names},
                                    features=datasets.Features({"image": datasets.Image(), "caption": datasets.Value("string")}))
    ds.save_to_disk(str(tmp_path / "ds"))
    src = open_source(tmp_path / "ds")
    assert src.kind == "hf" and src.names[0] == "train/000000" and len(src.names) == len(good.names)
    generate(src, tmp_path / "out", config, workers=2, progress=False)
    rows_hf = pq.read_table(tmp_path / "out" / "manifest.parquet").to_pylist()
    rows_folder = pq.read_table(corpus / "manifest.parquet").to_pylist()
    # rows follow the folder's sorted order, so the same samples come out (the recorded source name differs)
    for a, b in zip(rows_hf, rows_folder, strict=True):
        assert a.pop("source") != b.pop("source") and a == b
    with pytest.raises(InputError, match="Image column"):
        hf_source(tmp_path / "ds", column="caption")
