"""Where a folder job (``degrade``, ``restore``) writes: one output per input, never over an input.

``OUT/<relative path>.png`` mirrors each input ``IN/<relative path>.<any suffix>``. The output folder may be
neither the input folder nor inside it (outputs would replace originals, or be read as inputs by the next
run), and two inputs that differ only in suffix (``x.jpg``, ``x.png``) would share one output: both are
refused with a one-line reason instead of one silently overwriting the other.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from restorebench.errors import InputError


def check_out_dir(in_dir: str | os.PathLike, out_dir: str | os.PathLike) -> None:
    """Raise InputError when ``out_dir`` is ``in_dir`` or lies inside it (symbolic links resolved)."""
    src, dst = Path(in_dir).resolve(), Path(out_dir).resolve()
    if dst == src:
        raise InputError(f"{out_dir}: the output folder is the input folder; choose another output folder")
    if dst.is_relative_to(src):
        raise InputError(f"{out_dir}: the output folder is inside the input folder {in_dir}; "
                         "choose one outside it")


def plan_outputs(in_dir: str | os.PathLike, out_dir: str | os.PathLike, files: list[Path],
                 suffix: str = ".png") -> tuple[list[tuple[Path, Path]], dict[Path, str]]:
    """(jobs ``[(input, output)]`` in input order, clashes ``{input: reason}``) for ``files`` under ``in_dir``.

    Inputs whose outputs would coincide are all left out of ``jobs``; each one's reason names the others.
    """
    check_out_dir(in_dir, out_dir)
    root, out = Path(in_dir), Path(out_dir)
    by_output: dict[Path, list[Path]] = defaultdict(list)
    for f in files:
        by_output[(out / f.relative_to(root)).with_suffix(suffix)].append(f)
    jobs, clashes = [], {}
    for f in files:
        dst = (out / f.relative_to(root)).with_suffix(suffix)
        others = [o.name for o in by_output[dst] if o != f]
        if others:
            clashes[f] = (f"{f}: would be written to {dst} like {', '.join(others)}; "
                          "rename one of them so that their names differ without the suffix")
        else:
            jobs.append((f, dst))
    return jobs, clashes
