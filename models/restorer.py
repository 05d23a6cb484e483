"""The one interface every restoration method has: ``r(x) -> y`` on NCHW float batches, and ``r.info``.

* :class:`ModelInfo`: what the registry knows about a method (family, tasks, paper, licenses, weight files,
  size rules, extra inputs, fp16 support, receptive field); ``to_dict()`` gives JSON.
* :class:`Restorer`: validates the batch (Nx3xHxW float in [0,1], finite), moves it to the restorer's device,
  computes per-image conditions once on the whole image (:meth:`Restorer.prepare`, e.g. an estimated noise
  level), then runs :meth:`Restorer.forward` either on the whole batch padded to the size multiple or tile
  by tile with blended overlaps (``models.tiling``), crops and clamps to [0,1].
* :class:`ImageRestorer`: the base of classical methods, which work on one HxWx3 float32 numpy image at a
  time on the CPU (:meth:`ImageRestorer.restore`); the batch and device plumbing is done here once.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from models.tiling import pad_to_multiple, tiled_apply
from restorebench.errors import InputError
from restorebench.validate import check_batch, check_finite_range, check_image
from restorebench.weights import WeightFile

ACADEMIC_ENV = "RESTOREBENCH_ACADEMIC"
"""Set to 1 to allow entries whose license is non-commercial (``license_opt_in: academic``)."""


@dataclass(frozen=True)
class ModelInfo:
    """A registry entry (see the schema comment at the top of ``registry.yaml``)."""

    name: str
    family: str
    adapter: str
    tasks: tuple[str, ...]
    paper: str
    code: dict
    args: dict = field(default_factory=dict)
    weights: tuple[WeightFile, ...] = ()
    state_key: str | None = None
    strip_prefix: str | None = None
    size_multiple: int = 1
    channels: int = 3
    gray_mode: str | None = None
    inputs: dict = field(default_factory=dict)
    fp16: bool = False
    receptive_field: int | None = None
    license_opt_in: str | None = None
    notes: str = ""
    training: dict = field(default_factory=dict)
    thresholds: dict = field(default_factory=dict)
    """Detectors: label -> probability from which the label counts as present (unlisted labels: 0.5)."""

    @property
    def accepts_prompt(self) -> bool:
        """True when the method takes a text prompt (``inputs: {prompt: text}``)."""
        return "prompt" in self.inputs

    @property
    def accepts_instruction(self) -> bool:
        """True when the method takes a visual instruction image (``inputs: {instruction: image}``)."""
        return "instruction" in self.inputs

    def to_dict(self) -> dict:
        """JSON-serializable description (weights as dicts with file, sha256, url, license, source;
        ``thresholds`` only where a detector has them, so other entries describe, and fingerprint, as before)."""
        d = asdict(self)
        d["tasks"] = list(self.tasks)
        d["weights"] = [w.to_dict() for w in self.weights]
        if not d["thresholds"]:
            del d["thresholds"]
        return d


def academic_allowed(allow_academic: bool | None = None) -> bool:
    """Whether non-commercial entries may load: the explicit argument, else ``$RESTOREBENCH_ACADEMIC``."""
    if allow_academic is not None:
        return bool(allow_academic)
    return os.environ.get(ACADEMIC_ENV, "") not in ("", "0", "false", "False")


def _check_instruction(instruction: Any, n: int, device: Any) -> Any:
    """A visual instruction as an Nx3xhxw float tensor in [0,1] on ``device`` (a 3xhxw one is broadcast)."""
    import torch

    if not isinstance(instruction, torch.Tensor):
        raise InputError(f"instruction: expected a torch 3xHxW or Nx3xHxW tensor, got {type(instruction).__name__}")
    if instruction.ndim == 3:
        instruction = instruction[None].expand(n, -1, -1, -1)
    if instruction.ndim != 4 or instruction.shape[1] != 3 or instruction.shape[0] not in (1, n):
        raise InputError(f"instruction: expected 3xHxW or {n}x3xHxW, got shape {tuple(instruction.shape)}")
    if not instruction.is_floating_point():
        raise InputError(f"instruction: expected a floating tensor in [0,1], got {instruction.dtype}")
    check_finite_range(instruction, "instruction")
    return instruction.expand(n, -1, -1, -1).to(device=device, dtype=torch.float32)


def _check_prompt(prompt: Any, n: int) -> list[str]:
    """A text prompt as a list of ``n`` strings (one string is repeated for the whole batch)."""
    if isinstance(prompt, str):
        return [prompt] * n
    if isinstance(prompt, (list, tuple)) and len(prompt) == n and all(isinstance(p, str) for p in prompt):
        return list(prompt)
    raise InputError(f"prompt: expected a string or a list of {n} strings, got {prompt!r:.80}")


class Restorer:
    """Base class: ``r(x, prompt=None, instruction=None)`` maps an Nx3xHxW float [0,1] batch to the same shape.

    ``tile`` (pixels, optional) restores large images tile by tile with ``overlap`` pixels of blended
    overlap (default derived from ``info.receptive_field``); see ``models.tiling``.
    Subclasses implement :meth:`forward` and may override :meth:`prepare`.
    """

    def __init__(self, info: ModelInfo, device: Any = "cpu", tile: int | None = None, overlap: int | None = None):
        import torch

        self.info = info
        self.device = torch.device(device)
        if tile is not None and (not isinstance(tile, int) or tile < 16):
            raise InputError(f"{info.name}: tile={tile!r} must be an integer of at least 16 pixels")
        if overlap is not None and (not isinstance(overlap, int) or overlap < 0):
            raise InputError(f"{info.name}: overlap={overlap!r} must be a non-negative integer")
        self.tile = tile
        self.overlap = overlap

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.info.name!r}, device={str(self.device)!r}, tile={self.tile})"

    def to(self, device: Any) -> Restorer:
        """Move the restorer to ``device`` (a torch device or its name); returns self."""
        import torch

        self.device = torch.device(device)
        return self

    def prepare(self, x: Any, prompt: list[str] | None, instruction: Any) -> dict:
        """Conditions computed once on the whole (untiled) batch and passed to every :meth:`forward` call."""
        return {}

    def forward(self, x: Any, **cond: Any) -> Any:
        """Restore an Nx3xHxW float32 batch on ``self.device`` whose sides are multiples of ``size_multiple``."""
        raise NotImplementedError

    def __call__(self, x: Any, prompt: str | list[str] | None = None, instruction: Any = None) -> Any:
        """Restore ``x`` (Nx3xHxW float in [0,1], any device); returns float32 [0,1] on ``x``'s device."""
        import torch

        name = self.info.name
        check_batch(x, f"{name} input")
        if prompt is not None and not self.info.accepts_prompt:
            raise InputError(f"{name}: takes no text prompt; drop prompt= (methods that do: inputs: {{prompt: text}})")
        if instruction is not None and not self.info.accepts_instruction:
            raise InputError(f"{name}: takes no visual instruction; drop instruction=")
        n, _, h, w = x.shape
        prompts = None if prompt is None else _check_prompt(prompt, n)
        instr = None if instruction is None else _check_instruction(instruction, n, self.device)
        xd = x.to(device=self.device, dtype=torch.float32)
        with torch.inference_mode():
            cond = self.prepare(xd, prompts, instr)
            m = self.info.size_multiple
            if self.tile is not None and max(h, w) > self.tile:
                overlap, halo = self.tiling_plan()
                y = tiled_apply(lambda t: self.forward(t, **cond), xd, self.tile, overlap, m, halo)
            else:
                xp, crop = pad_to_multiple(xd, m)
                y = self.forward(xp, **cond)[..., :crop[0], :crop[1]]
            if y.shape != xd.shape:
                raise RuntimeError(f"{name}: forward returned shape {tuple(y.shape)} for input {tuple(xd.shape)}")
            y = y.float().clamp_(0.0, 1.0)
        return y.to(x.device)

    def tiling_plan(self) -> tuple[int, int]:
        """(overlap, halo) in pixels for ``self.tile``.

        The halo (outputs next to an inner window border that lack context, zero blending weight) is
        receptive field // 2 (16 when unknown). The default overlap is ``2 * halo + 16`` (exact tiling), or
        half the tile when that does not fit in the tile; when the overlap cannot hold two halos and a ramp,
        the halo shrinks to fit and the result is blended rather than exact.
        """
        rf = self.info.receptive_field
        halo = rf // 2 if rf is not None else 16
        overlap = self.overlap
        if overlap is None:
            overlap = 2 * halo + 16 if 2 * halo + 16 < self.tile else self.tile // 2
        return overlap, min(halo, max(0, (overlap - 1) // 2))

    def restore_image(self, img: np.ndarray, prompt: str | None = None,
                      instruction: np.ndarray | None = None) -> np.ndarray:
        """Convenience: restore one HxWx3 float32 [0,1] numpy image (same shape and dtype out), with an optional
        text ``prompt`` and visual ``instruction`` (an hxwx3 float32 [0,1] image)."""
        import torch

        def chw(a: np.ndarray) -> Any:
            return torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)

        check_image(img, f"{self.info.name} input")
        if instruction is not None:
            instruction = chw(check_image(instruction, f"{self.info.name} instruction"))
        y = self(chw(img)[None], prompt=prompt, instruction=instruction)
        return y[0].permute(1, 2, 0).cpu().numpy()


class ImageRestorer(Restorer):
    """Base of classical methods: :meth:`restore` maps one HxWx3 float32 [0,1] numpy image on the CPU.

    ``params`` are the method's keyword options (registry ``args`` updated by ``models.load(**options)``);
    subclasses declare their defaults in ``defaults`` and get them validated here.
    """

    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, info: ModelInfo, device: Any = "cpu", tile: int | None = None, overlap: int | None = None,
                 **params: Any):
        super().__init__(info, device, tile, overlap)
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise InputError(f"{info.name}: unknown option(s) {unknown}; expected {sorted(self.defaults)}")
        self.params = {**self.defaults, **params}

    @classmethod
    def available(cls, info: ModelInfo) -> tuple[bool, str]:
        """(runnable here as the registry entry ``info``, reason); methods with optional dependencies or
        composite ones override it."""
        return True, "classical, no weights needed"

    def analyze(self, img: np.ndarray) -> dict:
        """Whole-image quantities (a noise level, an airlight, a PSF) computed before any tiling; default none."""
        return {}

    def restore(self, img: np.ndarray, **found: Any) -> np.ndarray:
        """Restore one HxWx3 float32 image in [0,1] (numpy, CPU) given :meth:`analyze`'s results; clipped later."""
        raise NotImplementedError

    @staticmethod
    def _numpy_images(x: Any) -> list[np.ndarray]:
        return [np.ascontiguousarray(img, dtype=np.float32) for img in x.detach().cpu().permute(0, 2, 3, 1).numpy()]

    def prepare(self, x: Any, prompt: list[str] | None, instruction: Any) -> dict:
        return {"found": [self.analyze(img) for img in self._numpy_images(x)]}

    def forward(self, x: Any, found: list[dict] | None = None, **cond: Any) -> Any:
        import torch

        imgs = self._numpy_images(x)
        found = found if found is not None else [{}] * len(imgs)
        outs = [torch.from_numpy(np.ascontiguousarray(self.restore(img, **f), dtype=np.float32))
                for img, f in zip(imgs, found)]
        return torch.stack(outs).permute(0, 3, 1, 2).to(x.device)
