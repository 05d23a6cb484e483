"""A PyTorch ``Dataset`` over a corpus, in either layout: a corpus folder (manifest.parquet + PNGs) or the
HF export (``--format hf``, a ``save_to_disk`` folder).

Each item is a dict: ``lq``, ``gt`` (and ``instruction`` when the corpus has it) as 3xHxW float32 tensors in
[0,1] (8- or 16-bit PNGs decoded at full depth), plus ``index`` (int), ``id``, ``task`` and ``recipe`` (JSON
string). Whole-image corpora have items of different sizes: batch them with ``batch_size=1`` or a transform
that crops. The default DataLoader collate stacks tensors and lists the strings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from degrade.corpus.manifest import FILE_KINDS, MANIFEST, read_manifest
from degrade.corpus.sources import HF_MARKERS, load_undecoded
from restorebench.errors import InputError
from restorebench.imageio import read_image
from restorebench.paths import inside

META = ("index", "id", "task", "recipe")


def to_chw_tensor(img: np.ndarray) -> torch.Tensor:
    """HxWx3 float32 image -> 3xHxW contiguous tensor (the layout of corpus items)."""
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


class PairedCorpus(Dataset):
    """Samples of the corpus at ``root`` (folder or HF layout, detected); ``transform`` maps each item dict."""

    def __init__(self, root: str | Path, transform: Callable[[dict], dict] | None = None):
        self.root = Path(root)
        self.transform = transform
        if (self.root / MANIFEST).is_file():
            self.layout = "folder"
            rows = read_manifest(self.root / MANIFEST)
            self.kinds = [k for k in FILE_KINDS if rows and rows[0][f"{k}_path"]]
            self._meta = [{c: r[c] for c in META} for r in rows]
            where = str(self.root / MANIFEST)
            self._paths = [{k: inside(self.root, r[f"{k}_path"], where) for k in self.kinds} for r in rows]
        elif any((self.root / m).is_file() for m in HF_MARKERS):
            self.layout = "hf"
            self._ds = load_undecoded(self.root)
            self.kinds = [k for k in FILE_KINDS if k in self._ds.features]
        else:
            raise InputError(f"{self.root}: neither a corpus folder ({MANIFEST}) nor a HF dataset folder")
        if not {"lq", "gt"} <= set(self.kinds):
            raise InputError(f"{self.root}: corpus lacks lq/gt images")

    def __len__(self) -> int:
        return len(self._meta) if self.layout == "folder" else len(self._ds)

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not 0 <= i < len(self):
            raise IndexError(f"sample {i} out of range for a corpus of {len(self)}")
        if self.layout == "folder":
            item: dict[str, Any] = dict(self._meta[i])
            for k, path in self._paths[i].items():
                item[k] = to_chw_tensor(read_image(path, convert=True))
        else:
            row = self._ds[i]
            item = {c: row[c] for c in META}
            for k in self.kinds:
                item[k] = to_chw_tensor(read_image(f"{self.root}[{i}].{k}", convert=True, data=row[k]["bytes"]))
        return self.transform(item) if self.transform is not None else item
