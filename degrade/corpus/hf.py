"""``--format hf``: export a corpus folder as a Hugging Face ``datasets`` dataset (``save_to_disk`` layout).

Columns: ``index``, ``id``, ``source``, ``task``, ``labels``, ``recipe`` (JSON), ``seed``, the crop box, and one
``datasets.Image`` column per file kind (``gt``, ``lq``, and ``instruction`` when written) holding the PNG
bytes exactly as written (verified against the manifest's sha256 while exporting), so pixels round-trip
exactly. ``datasets.load_from_disk(path)`` reads it back offline.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from degrade.corpus.manifest import FILE_KINDS, MANIFEST, read_manifest
from restorebench.errors import ChecksumMismatch, InputError

META_COLUMNS = ("index", "id", "source", "task", "labels", "recipe", "seed", "crop_x", "crop_y", "crop_w", "crop_h")


def _features(kinds: list[str]):
    from datasets import Features, Image, List, Value

    types = {"index": Value("int64"), "id": Value("string"), "source": Value("string"), "task": Value("string"),
             "labels": List(Value("string")), "recipe": Value("string"), "seed": Value("int64"),
             **{c: Value("int32") for c in ("crop_x", "crop_y", "crop_w", "crop_h")}}
    return Features({**types, **{k: Image() for k in kinds}})


def _examples(root: Path, rows: list[dict], kinds: list[str]) -> Iterator[dict]:
    for row in rows:
        ex = {c: row[c] for c in META_COLUMNS}
        for k in kinds:
            data = (root / row[f"{k}_path"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != row[f"{k}_sha256"]:
                raise ChecksumMismatch(f"{root / row[f'{k}_path']}: sha256 differs from the manifest; "
                                       "run `restorebench verify` and regenerate with --resume")
            ex[k] = {"bytes": data, "path": row[f"{k}_path"]}
        yield ex


def export_hf(root: str | Path, out: str | Path | None = None, max_shard_size: str = "500MB") -> Path:
    """Write the corpus at ``root`` as a HF dataset at ``out`` (default ``root/hf``); returns ``out``."""
    from datasets import Dataset

    root = Path(root)
    out = Path(out) if out is not None else root / "hf"
    if out.exists():
        raise InputError(f"{out}: already exists; remove it or choose another --hf-out folder")
    manifest = root / MANIFEST
    rows = read_manifest(manifest)
    if not rows:
        raise InputError(f"{manifest}: no samples to export")
    kinds = [k for k in FILE_KINDS if rows[0][f"{k}_path"]]
    fingerprint = hashlib.sha256(manifest.read_bytes()).hexdigest()[:32]
    with tempfile.TemporaryDirectory(dir=root, prefix=".hf-build-") as tmp:
        ds = Dataset.from_generator(partial(_examples, root, rows, kinds), features=_features(kinds),
                                    cache_dir=os.path.join(tmp, "cache"), fingerprint=fingerprint)
        staged = Path(tmp) / "dataset"
        ds.save_to_disk(str(staged), max_shard_size=max_shard_size)
        del ds
        shutil.move(str(staged), str(out))
    return out
