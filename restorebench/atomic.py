"""Write files so that a kill never leaves a half-written file under the final name.

A file is written as ``.NAME.tmp-PID.SUFFIX`` beside its final path and renamed onto it. A run killed during a
write leaves that temporary behind: :func:`is_temporary` lets readers skip such files and
:func:`remove_stale_temporaries` deletes those whose writing process is gone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
from collections.abc import Iterator
from pathlib import Path

from restorebench.errors import DiskFull

_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)(\.[^.]*)?$")


def temporary_path(final: Path) -> Path:
    """The temporary name this process writes ``final`` under: ``.NAME.tmp-PID.SUFFIX`` in the same folder."""
    return final.with_name(f".{final.name}.tmp-{os.getpid()}{final.suffix}")


def is_temporary(path: str | os.PathLike) -> bool:
    """True for a temporary file name made by :func:`temporary_path` (never a user's input)."""
    return _TEMPORARY.match(Path(path).name) is not None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporaries below ``folder`` (recursive) whose writing process no longer runs; returns them."""
    removed = []
    root = Path(folder)
    if not root.is_dir():
        return removed
    for p in root.rglob(".*.tmp-*"):
        m = _TEMPORARY.match(p.name)
        if m and int(m["pid"]) != os.getpid() and not _alive(int(m["pid"])) and p.is_file():
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is renamed onto ``path`` (atomic on POSIX).

    A full disk while writing raises :class:`DiskFull` naming ``path``; the temporary is removed.
    """
    final = Path(path)
    tmp = temporary_path(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        os.replace(tmp, final)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(f"{final}: cannot write, the disk is full; free space and run the command again") from exc
        raise
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` through a temporary file and a rename."""
    write_bytes_atomic(path, text.encode("utf-8"))
