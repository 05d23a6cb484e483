"""A corpus degraded on the fly: the pairs ``restorebench generate`` would write, made in the data loader.

``OnTheFlyCorpus(source, config)[i]`` equals ``PairedCorpus(generated_root)[i]`` for every sample ``i``
that the generated corpus holds, bit for bit: the same crop (``sample_rng(seed, i, CROP_STREAM)``), the same
recipe (``sample_rng(seed, i)``) and the same quantization as the PNG files (``output.bits``), without writing
anything. With ``peer=(name, params)`` the crops stay the same and the degradation is the peer library's
(:mod:`degrade.peers`, seeded by ``sample_rng(seed, i, PEER_STREAM)``): the pairs another synthesizer would
make from the same clean patches. Items have the same keys as :class:`~degrade.corpus.dataset.PairedCorpus` items (``lq``, ``gt`` as
3xHxW float32 tensors in [0,1], ``index``, ``id``, ``task``, ``recipe``). A bad source raises InputError
naming it; each worker process keeps the last few decoded sources.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
from torch.utils.data import Dataset

from degrade.corpus.config import CorpusConfig
from degrade.corpus.dataset import to_chw_tensor
from degrade.corpus.patches import check_source_size, make_plan
from degrade.corpus.sampling import PEER_STREAM
from degrade.corpus.sources import Source
from degrade.corpus.writer import crop_sample, degrade_sample, id_width, sample_id
from degrade.peers import synthesize, unavailable
from restorebench.errors import InputError
from restorebench.imageio import as_stored
from restorebench.seeding import draw_seed, sample_rng

DECODED_CACHE = 4
"""Decoded source images kept per process (a source's samples are consecutive indices)."""


class OnTheFlyCorpus(Dataset):
    """Samples ``0 .. n-1`` of the corpus of ``source`` under ``config``; ``transform`` maps each item dict;
    ``peer``: (peer name, params) degrading in place of the config's tasks (task ``peer``; the recipe is the JSON
    ``{"peer", "params", "seed"}``)."""

    def __init__(self, source: Source, config: CorpusConfig, transform: Callable[[dict], dict] | None = None,
                 peer: tuple[str, dict] | None = None):
        if config.instructions.enabled:
            raise InputError("on-the-fly corpora carry no visual instructions; set instructions.enabled: false")
        if peer is not None:
            why = unavailable(peer[0])
            if why is not None:
                raise InputError(f"peer {peer[0]}: {why}")
        self.source = source
        self.config = config
        self.transform = transform
        self.peer = peer
        self.plan = make_plan(source, config.patches, config.sources)
        if self.plan.n_samples == 0:
            raise InputError(f"{source.location}: no samples (every source was skipped)")
        self._width = id_width(self.plan.n_samples)
        self._decoded: OrderedDict[int, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return self.plan.n_samples

    def _image(self, k: int) -> np.ndarray:
        if k in self._decoded:
            self._decoded.move_to_end(k)
            return self._decoded[k]
        name = self.source.names[k]
        if k in self.plan.prescan_skips:
            raise InputError(f"{name}: {self.plan.prescan_skips[k]}")
        width, height = self.source.size(k)
        check_source_size(width, height, self.config.patches, self.config.sources, name)
        img = self.source.read(k)
        self._decoded[k] = img
        while len(self._decoded) > DECODED_CACHE:
            self._decoded.popitem(last=False)
        return img

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not 0 <= i < len(self):
            raise IndexError(f"sample {i} out of range for a corpus of {len(self)}")
        k = self.plan.source_of(i)
        _, gt = crop_sample(self.config, self._image(k), i - self.plan.offsets[k], i)
        if self.peer is None:
            task, recipe, lq = degrade_sample(self.config, gt, i)
            task_name, recipe_json = task.name, recipe.to_json()
        else:
            name, params = self.peer
            seed = draw_seed(sample_rng(self.config.seed, i, PEER_STREAM))
            lq = synthesize(name, gt, params, seed)
            task_name, recipe_json = "peer", json.dumps({"peer": name, "params": params, "seed": seed}, sort_keys=True)
        bits = self.config.output.bits
        item = {"index": i, "id": sample_id(i, self._width), "task": task_name, "recipe": recipe_json,
                "lq": to_chw_tensor(as_stored(lq, bits)), "gt": to_chw_tensor(as_stored(gt, bits))}
        return self.transform(item) if self.transform is not None else item
