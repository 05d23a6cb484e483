"""An output folder given as a local path or an fsspec URL (``file://``, ``memory://``, ``s3://``, ``gs://``...).

Files are written so that a reader never sees half a file under its final name: on a local or mounted
filesystem through :mod:`restorebench.atomic` (temporary name, then rename); on an object store with one PUT
(whole object or nothing); on any other fsspec filesystem under the same temporary name, then moved. Relative
paths use ``/``. A :class:`Store` pickles as its location, so worker processes and machines reopen it.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
from functools import cached_property
from pathlib import Path
from typing import Any

from restorebench.atomic import temporary_path, write_bytes_atomic
from restorebench.errors import InputError

OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oss", "r2"})
"""fsspec protocols without a rename: each file is one PUT."""


class Store:
    """A folder addressed by ``location`` (a path or an fsspec URL); methods take paths relative to it."""

    def __init__(self, location: str | os.PathLike):
        self.location = str(location)
        self.local: Path | None = None
        if "://" not in self.location:
            self.local = Path(self.location)
        elif self.location.startswith("file://"):
            self.local = Path(self.location[len("file://"):])

    def __getstate__(self) -> dict[str, Any]:
        return {"location": self.location}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["location"])

    def __repr__(self) -> str:
        return f"Store({self.location!r})"

    def __str__(self) -> str:
        return self.location

    @cached_property
    def _fs(self) -> tuple[Any, str]:
        try:
            import fsspec
        except ImportError:
            raise InputError(f"{self.location}: URLs need fsspec (pip install fsspec)") from None
        try:
            return fsspec.core.url_to_fs(self.location)
        except (ImportError, ValueError) as exc:
            raise InputError(f"{self.location}: {exc}; install the fsspec backend for this URL") from None

    def full(self, rel: str = "") -> str:
        """The path of ``rel`` inside the store (a local path, or a path of the fsspec filesystem)."""
        if self.local is not None:
            return str(self.local / rel) if rel else str(self.local)
        root = self._fs[1].rstrip("/")
        return f"{root}/{rel}" if rel else root

    def read_bytes(self, rel: str) -> bytes:
        """The bytes of ``rel``; FileNotFoundError when absent."""
        if self.local is not None:
            return (self.local / rel).read_bytes()
        return self._fs[0].cat_file(self.full(rel))

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Write ``data`` to ``rel`` so that no reader sees a partial file under that name (see module doc)."""
        if self.local is not None:
            write_bytes_atomic(self.local / rel, data)
            return
        fs, final = self._fs[0], self.full(rel)
        if set(_protocols(fs)) & OBJECT_STORES:
            fs.pipe_file(final, data)
            return
        fs.makedirs(posixpath.dirname(final), exist_ok=True)
        tmp = temporary_path(Path(final)).as_posix()
        try:
            fs.pipe_file(tmp, data)
            fs.mv(tmp, final)
        finally:
            if fs.exists(tmp):
                fs.rm_file(tmp)

    def exists(self, rel: str = "") -> bool:
        """True when ``rel`` (a file or folder) exists."""
        if self.local is not None:
            return (self.local / rel).exists()
        return self._fs[0].exists(self.full(rel))

    def listdir(self, rel: str = "") -> list[str]:
        """Names (not paths) of the entries of folder ``rel``, sorted; empty when the folder is absent."""
        if self.local is not None:
            folder = self.local / rel
            return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        fs = self._fs[0]
        path = self.full(rel)
        if not fs.isdir(path):
            return []
        return sorted(posixpath.basename(p.rstrip("/")) for p in fs.ls(path, detail=False))

    def remove(self, rel: str) -> None:
        """Delete file ``rel`` if present."""
        if self.local is not None:
            (self.local / rel).unlink(missing_ok=True)
        elif self._fs[0].exists(self.full(rel)):
            self._fs[0].rm_file(self.full(rel))

    def remove_empty_dir(self, rel: str) -> None:
        """Delete folder ``rel`` when it exists and is empty (object stores have no folders to delete)."""
        if self.local is not None:
            try:
                (self.local / rel).rmdir()
            except OSError:
                pass  # absent or not empty
        elif not self.listdir(rel) and self._fs[0].isdir(self.full(rel)):
            self._fs[0].rmdir(self.full(rel))

    def temporaries(self, rel: str) -> list[str]:
        """Names in folder ``rel`` shaped like temporary files (``.NAME.tmp-*``, also ones cut short)."""
        return [name for name in self.listdir(rel) if fnmatch.fnmatchcase(name, ".*.tmp-*")]


def _protocols(fs: Any) -> tuple[str, ...]:
    return (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
