"""The corpus manifest (parquet, one row per sample), skipped.csv, corpus.json and the per-run record log.

Manifest columns (``SCHEMA``): ``index`` (sample number), ``id`` (zero-padded index, the file stem),
``source`` (name in the source: relative path, list entry or ``SPLIT/ROW``), ``source_index``,
``patch_index``, ``crop_x``/``crop_y``/``crop_w``/``crop_h`` (pixels), ``seed`` (the job seed: the sample's
generator is ``sample_rng(seed, index)``), ``task`` (task name), ``labels`` (degradation families),
``recipe`` (the applied recipe, canonical JSON), and for each written file kind ``gt``/``lq``/``instruction``:
``<kind>_path`` (relative to the corpus root), ``<kind>_sha256``, ``<kind>_bytes`` (null when not written).

The record log (``.partial/<run>.jsonl``) gets one JSON line per finished source, appended and flushed by the
parent after the source's files were renamed into place; a run killed at any moment leaves at worst one
truncated last line, which is ignored. Resume re-hashes every recorded file before trusting it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from restorebench.atomic import atomic_path, write_text_atomic
from restorebench.errors import InputError

FILE_KINDS = ("gt", "lq", "instruction")
MANIFEST = "manifest.parquet"
SKIPPED = "skipped.csv"
CORPUS_JSON = "corpus.json"
PARTIAL_DIR = ".partial"
SHARDS_DIR = "shards"

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


def write_manifest(path: Path, rows: Iterable[dict]) -> None:
    """Write rows (sorted by index) as parquet, atomically; equal rows give equal bytes."""
    rows = sorted(rows, key=lambda r: r["index"])
    table = pa.Table.from_pylist([{name: r.get(name) for name in SCHEMA.names} for r in rows], schema=SCHEMA)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_manifest(path: Path) -> list[dict]:
    """The rows of a manifest file as dicts, in index order."""
    if not path.is_file():
        raise InputError(f"{path}: no manifest; is this a corpus folder written by `restorebench generate`?")
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: unreadable manifest ({' '.join(str(exc).split())[:120]}); rebuild it by running "
                         "the same `restorebench generate SOURCE OUT --config ...` command with --resume") from exc
    missing = sorted(set(SCHEMA.names) - set(table.column_names))
    if missing:
        raise InputError(f"{path}: manifest lacks column(s) {missing}")
    return sorted(table.to_pylist(), key=lambda r: r["index"])


def write_skipped(path: Path, skips: dict[int, tuple[str, str]]) -> None:
    """skipped.csv: ``source_index,path,reason``, one line per skipped source, in source order."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["source_index", "path", "reason"])
    for k in sorted(skips):
        w.writerow([k, *skips[k]])
    write_text_atomic(path, buf.getvalue())


def read_skipped(path: Path) -> dict[int, tuple[str, str]]:
    """source index -> (path, reason) from a skipped.csv (empty if the file is absent)."""
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        return {int(r["source_index"]): (r["path"], r["reason"]) for r in csv.DictReader(f)}


def write_corpus_json(path: Path, info: dict) -> None:
    """corpus.json: config, source fingerprint and sample count of a corpus (canonical, sorted keys)."""
    write_text_atomic(path, json.dumps(info, sort_keys=True, indent=1) + "\n")


def read_corpus_json(path: Path) -> dict | None:
    """The corpus.json content, or None if absent."""
    return json.loads(path.read_text()) if path.is_file() else None


class RecordLog:
    """Append-only JSON-lines log of finished sources: ``{"source_index": k, "rows": [...]}`` per line."""

    def __init__(self, path: Path):
        self.path = path
        self._file = None

    def load(self) -> dict[int, list[dict]]:
        """Rows by source index (a later line wins); unparseable lines (a truncated last one) are ignored."""
        done: dict[int, list[dict]] = {}
        if not self.path.is_file():
            return done
        for line in self.path.read_text(errors="replace").splitlines():
            try:
                rec = json.loads(line)
                done[int(rec["source_index"])] = list(rec["rows"])
            except (ValueError, KeyError, TypeError):
                continue
        return done

    def append(self, source_index: int, rows: list[dict]) -> None:
        """Record one finished source and its rows; flushed at once (a SIGKILL cannot lose it)."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (open across appends; see close)
            self._file.write("\n")  # a line truncated by a kill must not swallow the next record
        self._file.write(json.dumps({"source_index": source_index, "rows": rows}, sort_keys=True) + "\n")
        self._file.flush()

    def close(self) -> None:
        """Close the log file (it stays on disk)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def remove(self) -> None:
        """Close and delete the log (after the final manifest was written)."""
        self.close()
        self.path.unlink(missing_ok=True)
