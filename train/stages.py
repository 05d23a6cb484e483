"""Methods trained in stages: a run initialized from an earlier stage's final weights (``--init``), that part
kept frozen.

An objective with an :class:`InitFrom` (the registry model of the earlier stage and the submodule both models
name alike, e.g. Defusion's ``tokenizer`` from a ``defusion-tokenizer`` run) needs ``--init RUN/final.pth``:
:func:`check_init` refuses a missing, unneeded or foreign file in one line and records the file's sha256 in the
config (``init_sha256``), so ``--resume`` refuses a run whose init file has changed; :func:`load_init` loads
the submodule strictly from the file's keys under its name and freezes it (no gradient; the trainer's EMA skips
it; :func:`train_mode` keeps it in evaluation mode, so its batch-norm statistics stay as loaded), so the final
weights hold it exactly as loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from torch import nn

from restorebench.errors import InputError
from restorebench.weights import sha256_file
from train.config import CONFIG, TrainConfig, read_config


@dataclass(frozen=True)
class InitFrom:
    """The earlier stage: registry ``model`` whose run's final.pth holds submodule ``part``, loaded and frozen."""

    model: str
    part: str


def check_init(cfg: TrainConfig, init: InitFrom | None) -> TrainConfig:
    """``cfg`` with ``init_sha256`` filled in; one InputError line when ``--init`` is missing, not needed, not a
    file, a run of another model or size (when the run's config.json sits beside it), or not the recorded file."""
    if init is None:
        if cfg.init is not None:
            raise InputError(f"--init: {cfg.model} is trained in one stage; drop --init")
        return cfg
    first = f"restorebench train --model {init.model} --size {cfg.size} ..."
    if cfg.init is None:
        raise InputError(f"{cfg.model} trains with the {init.part} of a {init.model} run frozen: train that first "
                         f"({first}) and pass --init RUN/final.pth")
    path = Path(cfg.init)
    if not path.is_file():
        raise InputError(f"--init {path}: no such file; train the {init.part} first ({first}) and pass its "
                         f"RUN/final.pth")
    if (path.parent / CONFIG).is_file():
        run = read_config(path.parent / CONFIG)
        if (run.get("model"), run.get("size")) != (init.model, cfg.size):
            raise InputError(f"--init {path}: a run of {run.get('model')} at size {run.get('size')}; {cfg.model} at "
                             f"size {cfg.size} needs a run of {init.model} at size {cfg.size}")
    digest = sha256_file(path)
    if cfg.init_sha256 not in (None, digest):
        raise InputError(f"--init {path}: its sha256 {digest} is not the recorded init_sha256 {cfg.init_sha256}; "
                         f"the file has changed")
    return replace(cfg, init_sha256=digest)


def load_init(model: nn.Module, init: InitFrom, path: str | Path) -> None:
    """Load ``model``'s submodule ``init.part`` strictly from the keys under that name in the weights at ``path``
    (one InputError line naming the file on a mismatch) and freeze it."""
    from models.network import load_strict, read_state_dict

    prefix = init.part + "."
    state = {k.removeprefix(prefix): v for k, v in read_state_dict(path).items() if k.startswith(prefix)}
    part = model.get_submodule(init.part)
    load_strict(part, state, f"--init {path} ({init.part} of a {init.model} run)")
    part.requires_grad_(False)


def train_mode(model: nn.Module, init: InitFrom | None, mode: bool = True) -> None:
    """``model.train(mode)``, the frozen part ``init.part`` (when given) left in evaluation mode."""
    model.train(mode)
    if init is not None:
        model.get_submodule(init.part).eval()
