"""``restorebench verify DIR``: re-hash every file a corpus manifest records; report missing and corrupt ones."""

from __future__ import annotations

import hashlib
import os
import posixpath
from dataclasses import dataclass, field

from degrade.corpus.manifest import FILE_KINDS, MANIFEST, SHARDS_DIR, file_entries, load_manifest
from restorebench.engine import map_threads
from restorebench.errors import InputError
from restorebench.paths import inside
from restorebench.storage import Store


def _checked(store: Store, rel: str) -> str:
    """``rel`` normalized, after :func:`restorebench.paths.inside` refused absolute and escaping paths."""
    inside(str(store), rel, store.full(MANIFEST))
    return posixpath.normpath(rel)


def check_file(store: Store, rel: str, sha256: str, size: int) -> str | None:
    """None if ``rel`` in ``store`` has ``size`` bytes and that sha256; else 'missing', 'size N != M' or
    'sha256 ...'. A ``rel`` that is absolute or leads outside the store raises InputError before anything is read.
    """
    try:
        data = store.read_bytes(_checked(store, rel))
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if len(data) != size:
        return f"size {len(data)} != recorded {size}"
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        return f"sha256 {digest[:12]}... != recorded {sha256[:12]}..."
    return None


def rows_intact(store: Store, rows: list[dict]) -> bool:
    """True if every file recorded by ``rows`` is present with its recorded size and sha256."""
    return all(check_file(store, *entry) is None for row in rows for entry in file_entries(row))


@dataclass
class VerifyReport:
    """Result of :func:`verify_corpus`: counts and the bad files (relative paths with the reason)."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[tuple[str, str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No file missing or corrupt (unexpected extra files are reported but allowed)."""
        return not self.missing and not self.corrupt


def verify_corpus(root: str | os.PathLike, threads: int = 4) -> VerifyReport:
    """Check every file of the manifest of corpus ``root`` (a path or fsspec URL; sha256 and size, hashing in
    ``threads`` threads)."""
    store = Store(root)
    if not store.exists(MANIFEST) and store.exists(SHARDS_DIR):
        raise InputError(f"{root}: shard manifests only; run `restorebench generate --merge {root}` first")
    entries = [e for row in load_manifest(store, MANIFEST)[0] for e in file_entries(row)]
    for rel, _, _ in entries:
        _checked(store, rel)
    problems = map_threads(lambda e: check_file(store, *e), entries, threads)
    report = VerifyReport(checked=len(entries))
    for (rel, _, _), problem in zip(entries, problems):
        if problem == "missing":
            report.missing.append(rel)
        elif problem is not None:
            report.corrupt.append((rel, problem))
    recorded = {rel for rel, _, _ in entries}
    for kind in FILE_KINDS:
        report.unexpected += [rel for name in store.listdir(kind) if (rel := f"{kind}/{name}") not in recorded]
    return report
