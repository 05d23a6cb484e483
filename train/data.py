"""Training data: the pairs of a corpus (on disk or degraded on the fly), split, cropped and flipped by seed.

The training stream is indexed by the global sample number ``k = step * batch + j``: ``k`` falls in epoch
``k // n`` at position ``k % n``, the epoch's order is a permutation drawn from ``sample_rng(seed, epoch,
ORDER_STREAM)``, and the crop position and the flip/rotation (one of the 8 symmetries of the square) of
``k`` come from ``sample_rng(seed, k, AUGMENT_STREAM)``, an objective's own seed for ``k`` (diffusion time
steps and noise) from ``sample_rng(seed, k, OBJECTIVE_STREAM)``. So what step ``s`` sees depends on (seed, s) alone:
not on DataLoader workers, and not on whether the run was resumed.

Visual instructions (objectives with ``instructions``): the sample's recorded recipe applied to the model's
visual ground by :func:`degrade.instructions.make_instruction`, exactly as benchmark suites make them, with the
seed ``draw_seed(sample_rng(seed, k, INSTRUCTION_STREAM))`` (a held-out sample ``i``: ``VAL_INSTRUCTION_STREAM``).
Such samples are cropped but not flipped or rotated: their instruction shows the degradation (rain streaks,
motion blur) in the recipe's own direction.

Validation: a ``val`` corpus, or else the last ``val_count`` samples of the training corpus, held out (a
source's samples are consecutive, so whole sources are held out but for the first one at the boundary);
each validation image is cropped to a multiple of the model's size multiple (top-left kept).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from restorebench.errors import InputError
from restorebench.seeding import draw_seed, sample_rng
from train.config import TrainConfig

ORDER_STREAM = 11
AUGMENT_STREAM = 12
OBJECTIVE_STREAM = 13
INSTRUCTION_STREAM = 14
VAL_INSTRUCTION_STREAM = 15
SEED_BOUND = 2**63


def open_pairs(cfg: TrainConfig) -> tuple[Dataset, dict[str, Any]]:
    """The paired dataset the config names and a description of it for the run record."""
    from degrade.corpus import PairedCorpus, load_config, open_source
    from degrade.corpus.onthefly import OnTheFlyCorpus

    if cfg.corpus is not None:
        root = Path(cfg.corpus)
        data = PairedCorpus(root)
        info = read_corpus_info(root)
        return data, {"kind": "corpus", "path": str(root), "samples": len(data), "corpus": info}
    corpus_cfg = load_config(cfg.spec)
    peer = (cfg.peer["name"], cfg.peer.get("params", {})) if cfg.peer is not None else None
    data = OnTheFlyCorpus(open_source(cfg.source), corpus_cfg, peer=peer)
    return data, {"kind": "on-the-fly", "spec": str(cfg.spec), "source": str(cfg.source), "samples": len(data),
                  "corpus": {"config": corpus_cfg.to_dict()}, "peer": cfg.peer}


def read_corpus_info(root: Path) -> dict:
    """The corpus.json of a corpus folder (its config and source fingerprint), or {} for an HF export."""
    from degrade.corpus.manifest import CORPUS_JSON, read_corpus_json

    return read_corpus_json(root / CORPUS_JSON) or {}


def split(n: int, cfg: TrainConfig) -> tuple[list[int], list[int]]:
    """(training indices, held-out indices) of a corpus of ``n`` samples (see the module doc)."""
    hold = 0 if cfg.val is not None else cfg.val_count
    if n - hold < 1:
        raise InputError(f"the corpus has {n} sample(s); holding out val_count={hold} leaves none to train on "
                         f"(lower --val-count or pass --val DIR)")
    return list(range(n - hold)), list(range(n - hold, n))


def dihedral(x: torch.Tensor, code: int) -> torch.Tensor:
    """One of the 8 symmetries of the square on a ...xHxW tensor: bit 0 flips left-right, bit 1 flips
    top-bottom, bit 2 swaps H and W."""
    if code & 1:
        x = x.flip(-1)
    if code & 2:
        x = x.flip(-2)
    if code & 4:
        x = x.transpose(-1, -2)
    return x.contiguous()


def _pair(item: dict, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    lq, gt = item["lq"], item["gt"]
    if lq.shape != gt.shape:
        raise InputError(f"sample {what}: lq {tuple(lq.shape)} and gt {tuple(gt.shape)} differ in size; "
                         f"training needs same-size pairs")
    return lq, gt


def label_vector(recipe_json: str, classes: Sequence[str]) -> torch.Tensor:
    """Multi-hot float32 vector [len(classes)]: 1 where the recipe holds an operator of that degradation label
    (``noise``, ``rain``, ``raindrop``, ``sr``, ...; see ``degrade.labels``); a sample without any operator has
    only ``clean`` (all zeros when ``clean`` is not a class)."""
    from degrade.labels import recipe_labels

    present = set(recipe_labels(step["op"] for step in json.loads(recipe_json)["steps"]))
    return torch.tensor([float(c in present) for c in classes], dtype=torch.float32)


def detection_arrays(recipe_json: str, classes: Sequence[str], clean: torch.Tensor | None = None
                     ) -> dict[str, np.ndarray]:
    """``labels`` and ``severity`` [len(classes)], ``sigma`` [1] and ``quality`` [1] of a recipe (float32, NaN
    where unknown; see ``degrade.labels.detection_targets``), read off the steps that changed ``clean`` (the
    3xHxW float32 image the recipe was recorded on) when it is given; without it ``labels`` equals
    :func:`label_vector`."""
    from degrade.labels import detection_targets

    image = None if clean is None else clean.permute(1, 2, 0).numpy()
    return detection_targets(recipe_json, classes, image)


class TargetTable:
    """Per-sample arrays (e.g. :func:`detection_arrays`) of ``n`` samples, each computed on first use and kept in
    columns allocated once: small arrays kept sample by sample would pin the heap between image-sized
    temporaries, and a long run would grow by about an image per sample."""

    def __init__(self, n: int):
        self.n = n
        self.filled = np.zeros(n, bool)
        self.columns: dict[str, np.ndarray] = {}

    def get(self, slot: int, compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, torch.Tensor]:
        """Sample ``slot``'s arrays as tensors (copies), from ``compute()`` the first time."""
        if not self.filled[slot]:
            values = compute()
            if not self.columns:
                self.columns = {k: np.empty((self.n, *v.shape), v.dtype) for k, v in values.items()}
            for k, v in values.items():
                self.columns[k][slot] = v
            self.filled[slot] = True
        return {k: torch.from_numpy(column[slot].copy()) for k, column in self.columns.items()}


def drop_footprint(recipe_json: str, h: int, w: int) -> torch.Tensor | None:
    """1xHxW float32 coverage of a recipe's lens drops on an HxW image (``degrade.labels.footprint``); None
    when it draws none."""
    from degrade.labels import footprint

    mark = footprint(recipe_json, h, w)
    return None if mark is None or not mark.any() else torch.from_numpy(mark)[None]


def instruction_image(recipe_json: str, spec: dict, seed: int) -> torch.Tensor:
    """The visual instruction 3xSxS float32 [0,1] of a recipe (JSON) on the ground ``spec`` ({ground, size,
    ground_seed}, as a model's ``instruction_spec``), its stochastic fields re-drawn from ``seed``."""
    from degrade.corpus.dataset import to_chw_tensor
    from degrade.instructions import make_instruction

    ins = make_instruction(json.loads(recipe_json), seed, **spec)
    return to_chw_tensor(ins.degraded)


class TrainStream(Dataset):
    """Global sample ``k`` -> {"lq", "gt"} 3 x patch x patch float32 crops (plus "lq2", a second crop of the
    same degraded image at its own position, when ``views`` is 2, "labels", the :func:`label_vector` of the
    sample's recipe over ``classes``, when ``classes`` is given, all its :func:`detection_arrays` (of the
    steps that changed the sample's clean image, computed once per sample: :class:`TargetTable`) and
    "footprint", 1 x patch x patch coverage of its lens drops (zeros without; ``degrade.labels.footprint``,
    recomputed per sample), when ``severity`` is true, "seed", an int64 in [0, 2^63) for the objective's random
    draws, when ``seeds`` is true, and "instruction", the sample's :func:`instruction_image` on the ground
    ``instruction``, when given)."""

    def __init__(self, pairs: Dataset, indices: Sequence[int], seed: int, patch: int, views: int = 1,
                 classes: Sequence[str] | None = None, severity: bool = False, seeds: bool = False,
                 instruction: dict | None = None):
        self.pairs = pairs
        self.indices = list(indices)
        self.seed = seed
        self.patch = patch
        self.views = views
        self.classes = tuple(classes) if classes is not None else None
        if severity and self.classes is None:
            raise InputError("severity targets need the label classes")
        self.severity = severity
        self.seeds = seeds
        self.instruction = instruction
        self._order: tuple[int, np.ndarray] | None = None
        self._targets = TargetTable(len(self.indices))

    def __len__(self) -> int:
        return len(self.indices)

    def order(self, epoch: int) -> np.ndarray:
        """The permutation of the training indices used in ``epoch``."""
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, sample_rng(self.seed, epoch, ORDER_STREAM).permutation(len(self.indices)))
        return self._order[1]

    def _corner(self, rng: np.random.Generator, h: int, w: int) -> tuple[int, int]:
        return int(rng.integers(0, h - self.patch + 1)), int(rng.integers(0, w - self.patch + 1))

    def __getitem__(self, k: int) -> dict[str, torch.Tensor]:
        epoch, pos = divmod(int(k), len(self.indices))
        slot = int(self.order(epoch)[pos])
        index = self.indices[slot]
        item = self.pairs[index]
        lq, gt = _pair(item, str(item.get("id", index)))
        h, w = lq.shape[-2:]
        if min(h, w) < self.patch:
            raise InputError(f"sample {item.get('id', index)}: {w}x{h} is smaller than the {self.patch}-pixel "
                             f"training patch; lower --patch or regenerate the corpus with larger patches")
        rng = sample_rng(self.seed, k, AUGMENT_STREAM)
        y, x = self._corner(rng, h, w)
        code = int(rng.integers(0, 8)) if self.instruction is None else 0
        p = self.patch
        out = {"lq": dihedral(lq[:, y:y + p, x:x + p], code), "gt": dihedral(gt[:, y:y + p, x:x + p], code)}
        if self.views == 2:
            y2, x2 = self._corner(rng, h, w)
            out["lq2"] = dihedral(lq[:, y2:y2 + p, x2:x2 + p], code)
        if self.severity:
            out.update(self._targets.get(slot, lambda: detection_arrays(item["recipe"], self.classes, gt)))
            mark = drop_footprint(item["recipe"], h, w)
            out["footprint"] = torch.zeros(1, p, p) if mark is None else dihedral(mark[:, y:y + p, x:x + p], code)
        elif self.classes is not None:
            out["labels"] = label_vector(item["recipe"], self.classes)
        if self.seeds:
            draw = sample_rng(self.seed, k, OBJECTIVE_STREAM).integers(0, SEED_BOUND)
            out["seed"] = torch.tensor(int(draw), dtype=torch.int64)
        if self.instruction is not None:
            seed = draw_seed(sample_rng(self.seed, k, INSTRUCTION_STREAM))
            out["instruction"] = instruction_image(item["recipe"], self.instruction, seed)
        return out


class ValidationSet(Dataset):
    """Held-out pairs, each cropped to a multiple of ``multiple`` (top-left kept): {"lq", "gt", "id"}, plus
    "instruction", the pair's :func:`instruction_image` on the ground ``instruction`` (seeded from ``seed`` and
    the pair's index), when given."""

    def __init__(self, pairs: Dataset, indices: Sequence[int], multiple: int, instruction: dict | None = None,
                 seed: int = 0):
        self.pairs = pairs
        self.indices = list(indices)
        self.multiple = multiple
        self.instruction = instruction
        self.seed = seed

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> dict[str, Any]:
        item = self.pairs[self.indices[i]]
        what = str(item.get("id", self.indices[i]))
        lq, gt = _pair(item, what)
        m = self.multiple
        h, w = (s // m * m for s in lq.shape[-2:])
        if h == 0 or w == 0:
            raise InputError(f"validation sample {what}: {lq.shape[-1]}x{lq.shape[-2]} is smaller than the "
                             f"model's size multiple {m}")
        out = {"lq": lq[:, :h, :w], "gt": gt[:, :h, :w], "id": what}
        if self.instruction is not None:
            seed = draw_seed(sample_rng(self.seed, self.indices[i], VAL_INSTRUCTION_STREAM))
            out["instruction"] = instruction_image(item["recipe"], self.instruction, seed)
        return out
