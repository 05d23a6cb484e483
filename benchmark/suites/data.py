"""Suite data: deterministic generation of each task's degraded inputs, cached by content hash.

A synthetic task's data depend only on its source images (their bytes), its spec or recipe, its seed, crop
and limit, and the code of the operators it uses; the sha256 of all of these (:func:`task_digest`) names the
cache folder ``CACHE/<digest[:16]>/`` holding ``input/<id>.png``, ``target/<id>.png``,
``recipe/<id>.json`` (the applied recipe) and ``manifest.json`` (written last: its presence marks the task
complete); the content digest of the data (:attr:`TaskData.content`) keys everything done with them later.
Image ``i`` of the sorted source list is degraded with ``sample_rng(seed, i)``, so a ``limit``
keeps the first images bit-identical. Generation resumes image by image after a kill (files are atomic).
Real paired and no-reference tasks are used in place (with ``crop``, their centre crops are cached the same
way; ``limit`` keeps the first pairs or photos); their digest covers the files' bytes.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmark.suites.schema import Suite, Task
from restorebench import __version__
from restorebench.atomic import write_text_atomic
from restorebench.errors import InputError
from restorebench.imageio import list_images, read_image, to_rgb_float, write_image
from restorebench.paths import inside
from restorebench.seeding import sample_rng

SKIMAGE_PREFIX = "skimage:"
CORE_FILES = ("operator.py", "params.py", "recipe.py", "spec.py", "filtering.py", "color.py", "kernels.py")
"""degrade core modules whose code is part of every synthetic task's digest."""


@dataclass(frozen=True)
class Item:
    """One image of a task: its id, degraded input file, ground-truth file (None without GT), applied recipe."""

    image_id: str
    input: Path
    target: Path | None
    recipe: dict | None = None


@dataclass(frozen=True)
class TaskData:
    """The prepared data of one task: its digest, its items in order and whether they were generated now.

    ``digest`` names what made the data (sources, spec, seed, operator code: the generation cache key);
    :attr:`content` is the sha256 of the data themselves (ids, input and target bytes), so work keyed by it
    (restored images, scores) survives code changes that leave the data bit-identical.
    """

    task: Task
    digest: str
    items: tuple[Item, ...]
    generated: int = 0

    @functools.cached_property
    def content(self) -> str:
        """sha256 over every item's id, input file bytes and target file bytes."""
        h = hashlib.sha256()
        for it in self.items:
            h.update(it.image_id.encode() + b"\0" + _file_digest(it.input).encode())
            h.update(_file_digest(it.target).encode() if it.target is not None else b"-")
        return h.hexdigest()


def default_cache_dir() -> Path:
    """``$RESTOREBENCH_CACHE/suites`` or ``~/.cache/restorebench/suites``."""
    root = os.environ.get("RESTOREBENCH_CACHE")
    return (Path(root).expanduser() if root else Path.home() / ".cache" / "restorebench") / "suites"


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def image_id(path: Path, root: Path) -> str:
    """Id of an image file under ``root``: its relative path without suffix, ``/`` replaced by ``__``."""
    return "__".join(path.relative_to(root).with_suffix("").parts)


def list_source(source: str, limit: int | None = None) -> list[tuple[str, str]]:
    """(image id, locator) of a task's source images, sorted, the first ``limit`` only.

    ``source`` is a folder (locator: file path) or ``skimage:NAME,NAME`` (locator: ``skimage:NAME``).
    """
    if source.startswith(SKIMAGE_PREFIX):
        names = [n.strip() for n in source[len(SKIMAGE_PREFIX) :].split(",") if n.strip()]
        if not names:
            raise InputError(f"source {source!r}: name at least one photo, e.g. skimage:astronaut,coffee")
        out = [(n, SKIMAGE_PREFIX + n) for n in names]
    else:
        root = Path(source)
        if not root.is_dir():
            raise InputError(
                f"source {root}: not a folder; set data_root=... or RESTOREBENCH_DATA to your data"
            )
        out = [(image_id(p, root), str(p)) for p in list_images(root)]
        if not out:
            raise InputError(f"source {root}: no images found")
    return out[:limit] if limit else out


def read_source(locator: str) -> np.ndarray:
    """Read a source image (file path or ``skimage:NAME``) as HxWx3 float32 RGB in [0,1] (gray -> RGB)."""
    if locator.startswith(SKIMAGE_PREFIX):
        from skimage import data as skdata

        name = locator[len(SKIMAGE_PREFIX) :]
        loader = getattr(skdata, name, None)
        if loader is None or not callable(loader):
            raise InputError(
                f"source skimage:{name}: not a scikit-image bundled photo (try astronaut, coffee, chelsea)"
            )
        return to_rgb_float(np.asarray(loader()))
    return read_image(locator, convert=True)


def center_crop(img: np.ndarray, side: int | None) -> np.ndarray:
    """The centred ``side`` x ``side`` crop of an HxWxC image (each side clipped to the image's own)."""
    if not side:
        return img
    h, w = img.shape[:2]
    ch, cw = min(side, h), min(side, w)
    top, left = (h - ch) // 2, (w - cw) // 2
    return np.ascontiguousarray(img[top : top + ch, left : left + cw])


def _locator_digest(locator: str) -> str:
    if locator.startswith(SKIMAGE_PREFIX):
        return _sha256_bytes(read_source(locator).tobytes())
    return _file_digest(Path(locator))


def _code_digest(ops: list[str]) -> str:
    """sha256 of the degrade core modules and of the packages of ``ops`` (their code defines the data)."""
    import degrade
    from degrade import get

    files = {Path(degrade.__file__).parent / name for name in CORE_FILES}
    for op in ops:
        files |= set(Path(inspect.getfile(type(get(op)))).parent.glob("*.py"))
    h = hashlib.sha256()
    for f in sorted(p for p in files if p.is_file()):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def task_ops(task: Task) -> list[str]:
    """Operators a synthetic task applies (empty for real data)."""
    from degrade.spec import spec_ops

    if task.spec is not None:
        return spec_ops(task.spec)
    if task.recipe is not None:
        return [s["op"] for s in task.recipe.get("steps", [])]
    return []


def _paired_items(task: Task) -> list[tuple[str, Path, Path]]:
    """(id, input, target) of a real paired task: by equal stem, else by the target stem as an id prefix."""
    inputs = list_images(task.paired["input"])
    targets = list_images(task.paired["target"])
    by_stem = {p.stem: p for p in targets}
    out = []
    for p in inputs:
        t = by_stem.get(p.stem) or next(
            (
                by_stem[s]
                for s in sorted(by_stem, key=len, reverse=True)
                if p.stem.startswith(s) and p.stem[len(s) : len(s) + 1] in ("_", "-", ".")
            ),
            None,
        )
        if t is None:
            raise InputError(f"{p}: no target in {task.paired['target']} with the same name or id prefix")
        out.append((p.stem, p, t))
    if not out:
        raise InputError(f"{task.paired['input']}: no input images")
    return out[: task.limit] if task.limit else out


def task_digest(task: Task) -> str:
    """sha256 naming a task's data: sources' bytes, spec/recipe, seed, crop, limit, operator code, version."""
    data: dict = {
        "version": __version__,
        "seed": task.seed,
        "crop": task.crop,
        "limit": task.limit,
        "spec": task.spec,
        "recipe": task.recipe,
        "noref": task.noref,
    }
    if task.paired is not None:
        data["files"] = [(i, _file_digest(a), _file_digest(b)) for i, a, b in _paired_items(task)]
    else:
        data["files"] = [(i, _locator_digest(loc)) for i, loc in list_source(task.source, task.limit)]
    ops = task_ops(task)
    if ops:
        data["code"] = _code_digest(ops)
    return _sha256_bytes(json.dumps(data, sort_keys=True).encode())


def suite_digest(digests: dict[str, str]) -> str:
    """sha256 over a suite's task names and their data's content digests (the hash a run report names)."""
    return _sha256_bytes(json.dumps(sorted(digests.items())).encode())


def prepare_task(task: Task, cache_dir: Path, progress: Callable[[int], None] | None = None) -> TaskData:
    """Generate (or find cached) the data of ``task`` under ``cache_dir``; returns its items in order."""
    digest = task_digest(task)
    if task.paired is not None:
        real = [(i, str(a), b) for i, a, b in _paired_items(task)]
    else:
        sources = list_source(task.source, task.limit)
        real = [(i, loc, None) for i, loc in sources] if task.noref else None
    if real is not None and not task.crop:
        return TaskData(task, digest, tuple(Item(i, Path(a), b) for i, a, b in real))
    folder = Path(cache_dir) / digest[:16]
    manifest = folder / "manifest.json"
    if manifest.is_file():
        where = str(manifest)
        items = tuple(
            Item(e["id"], inside(folder, e["input"], where), e["target"] and inside(folder, e["target"], where),
                 e["recipe"])
            for e in json.loads(manifest.read_text())["items"]
        )
        return TaskData(task, digest, items)
    if real is not None:
        return _crop_real(task, digest, real, folder, progress)
    from degrade import replay, sample_recipe
    from degrade.recipe import Recipe

    fixed = Recipe.from_dict(task.recipe) if task.recipe is not None else None
    items, generated = [], 0
    for index, (iid, loc) in enumerate(sources):
        inp, tgt, rec = (
            folder / "input" / f"{iid}.png",
            folder / "target" / f"{iid}.png",
            folder / "recipe" / f"{iid}.json",
        )
        if not (inp.is_file() and tgt.is_file() and rec.is_file()):
            clean = center_crop(read_source(loc), task.crop)
            recipe = fixed or sample_recipe(task.spec, sample_rng(task.seed, index))
            write_image(tgt, clean)
            write_image(inp, replay(clean, recipe))
            write_text_atomic(rec, recipe.to_json(indent=1))
            generated += 1
        items.append(Item(iid, inp, tgt, json.loads(rec.read_text())))
        if progress is not None:
            progress(1)
    entries = [
        {
            "id": it.image_id,
            "input": f"input/{it.image_id}.png",
            "target": f"target/{it.image_id}.png",
            "recipe": it.recipe,
        }
        for it in items
    ]
    write_text_atomic(
        manifest, json.dumps({"task": task.to_dict(), "digest": digest, "items": entries}, indent=1)
    )
    return TaskData(task, digest, tuple(items), generated)


def _crop_real(
    task: Task,
    digest: str,
    real: list[tuple[str, str, Path | None]],
    folder: Path,
    progress: Callable[[int], None] | None,
) -> TaskData:
    """Centre crops of a real task's (input, target or None) files, cached like synthetic data (no recipe)."""
    items, generated = [], 0
    for iid, loc, target in real:
        inp = folder / "input" / f"{iid}.png"
        tgt = folder / "target" / f"{iid}.png" if target is not None else None
        if not inp.is_file() or (tgt is not None and not tgt.is_file()):
            if tgt is not None:
                write_image(tgt, center_crop(read_source(str(target)), task.crop))
            write_image(inp, center_crop(read_source(loc), task.crop))
            generated += 1
        items.append(Item(iid, inp, tgt))
        if progress is not None:
            progress(1)
    entries = [
        {"id": it.image_id, "input": f"input/{it.image_id}.png",
         "target": it.target and f"target/{it.image_id}.png", "recipe": None}
        for it in items
    ]
    write_text_atomic(
        folder / "manifest.json",
        json.dumps({"task": task.to_dict(), "digest": digest, "items": entries}, indent=1),
    )
    return TaskData(task, digest, tuple(items), generated)


def prepare_suite(suite: Suite, cache_dir: Path | None = None, quiet: bool = False) -> dict[str, TaskData]:
    """Prepare every task of ``suite`` (generating what is not cached), with a progress bar."""
    from tqdm import tqdm

    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    out: dict[str, TaskData] = {}
    with tqdm(desc=f"{suite.name}: data", unit="img", disable=quiet) as bar:
        for task in suite.tasks:
            out[task.name] = prepare_task(task, cache_dir, bar.update)
    return out
