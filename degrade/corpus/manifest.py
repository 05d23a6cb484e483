"""The corpus manifest (parquet, one row per sample), skipped.csv, corpus.json and the per-run record log.

Manifest columns (``SCHEMA``): ``index`` (sample number), ``id`` (zero-padded index, the file stem),
``source`` (name in the source: relative path, list entry or ``SPLIT/ROW``), ``source_index``,
``patch_index``, ``crop_x``/``crop_y``/``crop_w``/``crop_h`` (pixels), ``seed`` (the job seed: the sample's
generator is ``sample_rng(seed, index)``), ``task`` (task name), ``labels`` (degradation families),
``recipe`` (the applied recipe, canonical JSON), and for each written file kind ``gt``/``lq``/``instruction``:
``<kind>_path`` (relative to the corpus root), ``<kind>_sha256``, ``<kind>_bytes`` (null when not written).

Shard tasks write their rows to ``manifest/part-<start>.parquet`` (the manifest schema; skipped sources in the
file's metadata) after their files; the run joins the parts into the manifest and deletes them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from restorebench.errors import InputError
from restorebench.storage import Store

FILE_KINDS = ("gt", "lq", "instruction")
MANIFEST = "manifest.parquet"
SKIPPED = "skipped.csv"
CORPUS_JSON = "corpus.json"
PARTS_DIR = "manifest"
SHARDS_DIR = "shards"
_SKIPPED_KEY = b"restorebench.skipped"

SCHEMA = pa.schema(
    [("index", pa.int64()), ("id", pa.string()), ("source", pa.string()), ("source_index", pa.int64()),
     ("patch_index", pa.int64()), ("crop_x", pa.int32()), ("crop_y", pa.int32()), ("crop_w", pa.int32()),
     ("crop_h", pa.int32()), ("seed", pa.int64()), ("task", pa.string()), ("labels", pa.list_(pa.string())),
     ("recipe", pa.string())]
    + [field for kind in FILE_KINDS for field in
       ((f"{kind}_path", pa.string()), (f"{kind}_sha256", pa.string()), (f"{kind}_bytes", pa.int64()))]
)


def run_name(shard: int, n_shards: int) -> str:
    """The name of one shard's run, e.g. ``shard-00001-of-00004``."""
    return f"shard-{shard:05d}-of-{n_shards:05d}"


def file_entries(row: dict) -> list[tuple[str, str, int]]:
    """(relative path, sha256, size) of every file a manifest row records."""
    return [(row[f"{k}_path"], row[f"{k}_sha256"], row[f"{k}_bytes"]) for k in FILE_KINDS if row.get(f"{k}_path")]


def manifest_bytes(rows: Iterable[dict], skipped: dict[int, tuple[str, str]] | None = None) -> bytes:
    """Rows (sorted by index) as parquet bytes; equal rows give equal bytes. ``skipped`` (source index ->
    (name, reason)) goes into the file's metadata (shard parts)."""
    rows = sorted(rows, key=lambda r: r["index"])
    table = pa.Table.from_pylist([{name: r.get(name) for name in SCHEMA.names} for r in rows], schema=SCHEMA)
    if skipped is not None:
        table = table.replace_schema_metadata({_SKIPPED_KEY: json.dumps(sorted(
            [k, *skipped[k]] for k in skipped))})
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue().to_pybytes()


def write_manifest(store: Store, rel: str, rows: Iterable[dict],
                   skipped: dict[int, tuple[str, str]] | None = None) -> None:
    """Write ``rel`` in ``store`` (atomically) from :func:`manifest_bytes`."""
    store.write_bytes(rel, manifest_bytes(rows, skipped))


def load_manifest(store: Store, rel: str) -> tuple[list[dict], dict[int, tuple[str, str]]]:
    """The rows of manifest (or part) ``rel`` in index order, and the skipped sources its metadata records."""
    what = f"{store.full(rel)}"
    try:
        table = pq.read_table(pa.BufferReader(store.read_bytes(rel)))
    except FileNotFoundError:
        raise InputError(f"{what}: no manifest; is this a corpus folder written by `restorebench generate`?") from None
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{what}: unreadable manifest ({' '.join(str(exc).split())[:120]}); rebuild it by running "
                         "the same `restorebench generate SOURCE OUT --config ...` command with --resume") from exc
    missing = sorted(set(SCHEMA.names) - set(table.column_names))
    if missing:
        raise InputError(f"{what}: manifest lacks column(s) {missing}")
    meta = (table.schema.metadata or {}).get(_SKIPPED_KEY)
    skipped = {int(k): (name, reason) for k, name, reason in json.loads(meta)} if meta else {}
    return sorted(table.to_pylist(), key=lambda r: r["index"]), skipped


def read_manifest(path: Path) -> list[dict]:
    """The rows of a local manifest file as dicts, in index order."""
    return load_manifest(Store(path.parent), path.name)[0]


def write_skipped(store: Store, rel: str, skips: dict[int, tuple[str, str]]) -> None:
    """skipped.csv: ``source_index,path,reason``, one line per skipped source, in source order."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["source_index", "path", "reason"])
    for k in sorted(skips):
        w.writerow([k, *skips[k]])
    store.write_bytes(rel, buf.getvalue().encode("utf-8"))


def read_skipped(store: Store, rel: str) -> dict[int, tuple[str, str]]:
    """source index -> (path, reason) from a skipped.csv (empty if the file is absent)."""
    try:
        text = store.read_bytes(rel).decode("utf-8")
    except FileNotFoundError:
        return {}
    return {int(r["source_index"]): (r["path"], r["reason"]) for r in csv.DictReader(io.StringIO(text, newline=""))}


def write_corpus_json(store: Store, info: dict) -> None:
    """corpus.json: config, source fingerprint and sample count of a corpus (canonical, sorted keys)."""
    store.write_bytes(CORPUS_JSON, (json.dumps(info, sort_keys=True, indent=1) + "\n").encode("utf-8"))


def read_corpus_json(where: Path | Store) -> dict | None:
    """The corpus.json content (``where``: the file, or the corpus folder's Store), or None if absent."""
    try:
        data = where.read_bytes(CORPUS_JSON) if isinstance(where, Store) else where.read_bytes()
    except FileNotFoundError:
        return None
    return json.loads(data)
