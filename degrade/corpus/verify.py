"""``restorebench verify DIR``: re-hash every file a corpus manifest records; report missing and corrupt ones."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from degrade.corpus.manifest import FILE_KINDS, MANIFEST, SHARDS_DIR, file_entries, read_manifest
from restorebench.errors import InputError
from restorebench.paths import inside


def check_file(root: Path, rel: str, sha256: str, size: int) -> str | None:
    """None if ``root/rel`` has ``size`` bytes and that sha256; else 'missing', 'size N != M' or 'sha256 ...'.

    A ``rel`` that is absolute or leads outside ``root`` raises InputError before anything is read.
    """
    path = inside(root, rel, str(root / MANIFEST))
    try:
        data = path.read_bytes()
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


def rows_intact(root: Path, rows: list[dict]) -> bool:
    """True if every file recorded by ``rows`` is present with its recorded size and sha256."""
    return all(check_file(root, *entry) is None for row in rows for entry in file_entries(row))


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


def verify_corpus(root: str | Path, threads: int = 4) -> VerifyReport:
    """Check every file of the manifest of corpus ``root`` (sha256 and size; hashing in ``threads`` threads)."""
    root = Path(root)
    if not (root / MANIFEST).is_file() and (root / SHARDS_DIR).is_dir():
        raise InputError(f"{root}: shard manifests only; run `restorebench generate --merge {root}` first")
    entries = [e for row in read_manifest(root / MANIFEST) for e in file_entries(row)]
    for rel, _, _ in entries:
        inside(root, rel, str(root / MANIFEST))
    with ThreadPoolExecutor(max(1, threads)) as pool:
        problems = list(pool.map(lambda e: check_file(root, *e), entries))
    report = VerifyReport(checked=len(entries))
    for (rel, _, _), problem in zip(entries, problems):
        if problem == "missing":
            report.missing.append(rel)
        elif problem is not None:
            report.corrupt.append((rel, problem))
    recorded = {rel for rel, _, _ in entries}
    for kind in FILE_KINDS:
        if (root / kind).is_dir():
            report.unexpected += sorted(
                rel for p in (root / kind).iterdir() if (rel := f"{kind}/{p.name}") not in recorded
            )
    return report
