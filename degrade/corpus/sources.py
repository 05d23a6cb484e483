"""Clean-image sources of a corpus: an image folder (recursive), a file list, or a local HF ``datasets`` dataset.

A source is an ordered list of names (the sample numbering is defined on this order, before any pixel is
read) plus two readers: ``size(k)`` (header only: width, height) and ``read(k)`` (HxWx3 float32 RGB in [0,1],
strict: gray, alpha, 16-bit, CMYK, truncated and unreadable files raise InputError). Order:

* folder: every image file below the folder, sorted by relative POSIX path; names are those relative paths;
* file list (a text file, one path per line, ``#`` comments and blank lines ignored, relative paths taken
  from the list's folder): sorted by the line's text; names are the lines;
* HF dataset (a folder written by ``Dataset.save_to_disk``, read offline with ``datasets.load_from_disk``):
  row order; names are ``SPLIT/ROW``; the image column is the one Image feature unless ``column`` is given.

Sources pickle cheaply (paths only), so worker processes re-open them.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image, UnidentifiedImageError

from restorebench.errors import InputError
from restorebench.imageio import IMAGE_SUFFIXES, check_readable, list_images, read_image

HF_MARKERS = ("dataset_info.json", "dataset_dict.json", "state.json")


class Source(Protocol):
    """What the corpus writer needs from a source (see module docstring)."""

    kind: str
    location: str
    names: list[str]

    def size(self, k: int) -> tuple[int, int]: ...

    def read(self, k: int) -> np.ndarray: ...


def fingerprint(source: Source) -> str:
    """sha256 of the kind and ordered names: a corpus resumed or sharded must see the same source list."""
    h = hashlib.sha256(source.kind.encode())
    for name in source.names:
        h.update(b"\0" + name.encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _header_size(opener: Any, what: str) -> tuple[int, int]:
    try:
        with Image.open(opener) as im:
            return int(im.width), int(im.height)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{what}: unreadable image ({exc}); re-export or remove the file") from exc


@dataclass
class FileSource:
    """Images on disk: ``paths[k]`` is read, ``names[k]`` is recorded (relative path or list entry)."""

    kind: str
    location: str
    names: list[str]
    paths: list[Path]

    def size(self, k: int) -> tuple[int, int]:
        """(width, height) of image ``k`` from its header."""
        check_readable(self.paths[k])
        return _header_size(self.paths[k], str(self.paths[k]))

    def read(self, k: int) -> np.ndarray:
        """Image ``k`` as HxWx3 float32 RGB in [0,1] (strict 8-bit RGB)."""
        return read_image(self.paths[k])


def folder_source(root: str | Path) -> FileSource:
    """Every image below ``root`` (recursive), sorted by relative POSIX path."""
    root = Path(root)
    paths = list_images(root)
    names = [p.relative_to(root).as_posix() for p in paths]
    order = sorted(range(len(paths)), key=names.__getitem__)
    return FileSource("folder", str(root.resolve()), [names[i] for i in order], [paths[i] for i in order])


def list_source(list_file: str | Path) -> FileSource:
    """The images named in a text file (one per line); relative lines are taken from the file's folder."""
    list_file = Path(list_file)
    if not list_file.is_file():
        raise InputError(f"{list_file}: no such file list")
    if list_file.suffix.lower() in IMAGE_SUFFIXES:
        raise InputError(f"{list_file}: an image, not a file list; pass its folder or a text file listing images")
    try:
        lines = [ln.strip() for ln in list_file.read_text(encoding="utf-8").splitlines()]
    except UnicodeDecodeError as exc:
        raise InputError(f"{list_file}: not a UTF-8 text file list ({exc.reason})") from exc
    names = sorted(ln for ln in lines if ln and not ln.startswith("#"))
    dupes = sorted({n for i, n in enumerate(names) if i and names[i - 1] == n})
    if dupes:
        raise InputError(f"{list_file}: listed more than once: {dupes[:3]}; remove the duplicates")
    paths = [p if p.is_absolute() else list_file.parent / p for p in map(Path, names)]
    return FileSource("list", str(list_file.resolve()), names, paths)


@dataclass
class HFSource:
    """Rows of a local HF dataset (``save_to_disk`` layout); the image column is decoded by restorebench."""

    location: str
    split: str
    column: str
    names: list[str]
    kind: str = "hf"
    _table: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_table": None}

    def _cell(self, k: int) -> tuple[bytes | None, str | None]:
        if self._table is None:
            self._table = load_undecoded(Path(self.location), self.split)
        cell = self._table[k][self.column]
        return cell.get("bytes"), cell.get("path")

    def _what(self, k: int) -> str:
        return f"{self.location}[{self.names[k]}]"

    def _encoded(self, k: int) -> bytes:
        data, path = self._cell(k)
        if data is not None:
            return data
        if path and Path(path).is_file():
            return Path(path).read_bytes()
        raise InputError(f"{self._what(k)}: the image cell holds neither bytes nor a readable path")

    def size(self, k: int) -> tuple[int, int]:
        """(width, height) of row ``k``'s image from its header."""
        return _header_size(io.BytesIO(self._encoded(k)), self._what(k))

    def read(self, k: int) -> np.ndarray:
        """Row ``k``'s image as HxWx3 float32 RGB in [0,1] (strict 8-bit RGB)."""
        return read_image(self._what(k), data=self._encoded(k))


def load_undecoded(path: Path, split: str | None = None) -> Any:
    """A saved dataset (the ``split`` of a DatasetDict; optional if it has one) with its Image columns left
    undecoded (cells are ``{bytes, path}``), so restorebench decodes them at full bit depth."""
    import datasets

    try:
        ds = datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(f"{path}: not a dataset saved with save_to_disk ({exc})") from exc
    if isinstance(ds, datasets.DatasetDict):
        if split is None and len(ds) == 1:
            split = next(iter(ds))
        if split not in ds:
            raise InputError(f"{path}: split {split!r} not found; choose one of {sorted(ds)} with --split")
        ds = ds[split]
    for name, feat in ds.features.items():
        if isinstance(feat, datasets.Image):
            ds = ds.cast_column(name, datasets.Image(decode=False))
    return ds


def hf_source(path: str | Path, split: str | None = None, column: str | None = None) -> HFSource:
    """Rows of a local HF dataset folder; ``column`` defaults to its only Image feature."""
    import datasets

    path = Path(path)
    ds = load_undecoded(path, split)
    split = str(ds.split) if ds.split is not None else (split or "train")
    image_cols = [n for n, f in ds.features.items() if isinstance(f, datasets.Image)]
    if column is None:
        if len(image_cols) != 1:
            raise InputError(f"{path}: {len(image_cols)} Image columns {image_cols}; choose one with --image-column")
        column = image_cols[0]
    elif column not in image_cols:
        raise InputError(f"{path}: no Image column {column!r}; Image columns are {image_cols}")
    width = max(6, len(str(len(ds) - 1)))
    names = [f"{split}/{i:0{width}d}" for i in range(len(ds))]
    return HFSource(str(path.resolve()), split, column, names, _table=ds)


def open_source(path: str | Path, split: str | None = None, column: str | None = None) -> Source:
    """A folder, a file list (any regular file) or an HF dataset folder (has dataset_info.json or similar)."""
    path = Path(path)
    if path.is_dir():
        if any((path / m).is_file() for m in HF_MARKERS):
            return hf_source(path, split, column)
        if split is not None or column is not None:
            raise InputError(f"{path}: --split/--image-column apply to HF datasets; this is an image folder")
        return folder_source(path)
    if path.is_file():
        return list_source(path)
    raise InputError(f"{path}: no such folder, file list or dataset")
