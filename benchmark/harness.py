"""Scoring harness: pair folders, batch same-size images, score per image, keep every row.

- :func:`pair_folders` pairs predictions with ground truths by file name (relative path without suffix) or,
  failing that, by id prefix (SOTS-style ``0001_0.8_0.2.jpg`` -> ``0001.png``: the prediction's name starts
  with the ground truth's name followed by ``_``, ``-`` or ``.``; the longest such name wins). Predictions
  without a partner, ground truths nobody used and ambiguous names come back as ``problems``.
- :func:`score_pairs` / :func:`score_arrays` group the pairs by image size (full-reference metrics never
  resize), run each metric on batches of up to ``batch_size`` same-size pairs on ``device`` and return a
  pandas DataFrame with one row per (image, metric): columns ``image_id``, ``metric``, ``value``,
  ``protocol``, ``note``. Distribution metrics (FID, KID) give one row with image_id ``"__set__"``.
  A pair that cannot be scored (unreadable file, pred and gt of different sizes, image too small) keeps
  its rows with value NaN and the reason in ``note``: nothing is dropped silently. A scored file that was
  not 8-bit RGB (gray, CMYK, 16-bit, opaque RGBA) was converted: its rows say so in ``note``.
- :func:`save_scores` writes the DataFrame as parquet (atomically) with the protocols in its metadata.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from benchmark.metrics import build_metric, spec
from benchmark.metrics.base import ImageMetric, SetMetric
from benchmark.protocols import Protocol, get_protocol
from restorebench.atomic import atomic_path
from restorebench.errors import InputError, RestoreBenchError
from restorebench.imageio import list_images, read_image_kind

SET_ID = "__set__"
COLUMNS = ["image_id", "metric", "value", "protocol", "note"]
ID_SEPARATORS = ("_", "-", ".")

Source = Path | np.ndarray
"""An image given as a file path or as an HxWx3 float32 array in [0,1]."""


def _key(path: Path, root: Path) -> str:
    return path.relative_to(root).with_suffix("").as_posix()


def _index(root: Path, what: str, problems: list[str]) -> dict[str, Path]:
    index: dict[str, Path] = {}
    for p in list_images(root):
        k = _key(p, root)
        if k in index:
            problems.append(f"{what} {p}: same name as {index[k]} (different suffix); skipped, rename one")
            continue
        index[k] = p
    return index


def _prefix_partner(key: str, gts: dict[str, Path]) -> str | None:
    parent, _, name = key.rpartition("/")
    best = None
    for g in gts:
        g_parent, _, g_name = g.rpartition("/")
        if (
            g_parent == parent
            and any(name.startswith(g_name + s) for s in ID_SEPARATORS)
            and (best is None or len(g) > len(best))
        ):
            best = g
    return best


def pair_folders(
    pred_dir: str | os.PathLike, gt_dir: str | os.PathLike
) -> tuple[list[tuple[str, Path, Path]], list[str]]:
    """Pair prediction and ground-truth images: (pairs [(image_id, pred, gt)], problems [one line each]).

    image_id is the prediction's path relative to ``pred_dir`` without suffix. Several predictions may
    share one ground truth (SOTS: several haze levels per clean image).
    """
    problems: list[str] = []
    preds = _index(Path(pred_dir), "pred", problems)
    gts = _index(Path(gt_dir), "gt", problems)
    if not preds:
        raise InputError(f"{pred_dir}: no images found (suffixes .png .jpg .bmp .tif .webp ...)")
    pairs, used = [], set()
    for key, p in preds.items():
        g = key if key in gts else _prefix_partner(key, gts)
        if g is None:
            problems.append(f"pred {p}: no ground truth named {key}.* (or a prefix of it) in {gt_dir}")
            continue
        used.add(g)
        pairs.append((key, p, gts[g]))
    problems += [f"gt {gts[g]}: no prediction pairs with it" for g in gts if g not in used]
    return pairs, problems


def list_folder(pred_dir: str | os.PathLike) -> list[tuple[str, Path, None]]:
    """No-reference items [(image_id, path, None)] for every image under ``pred_dir``."""
    root = Path(pred_dir)
    items = [(_key(p, root), p, None) for p in list_images(root)]
    if not items:
        raise InputError(f"{pred_dir}: no images found (suffixes .png .jpg .bmp .tif .webp ...)")
    return items


@dataclass
class _Item:
    image_id: str
    pred: Source
    gt: Source | None


def _load(src: Source, what: str) -> tuple[np.ndarray, str | None]:
    """The image and, for a file that was not 8-bit RGB, a note saying how it was converted."""
    if isinstance(src, np.ndarray):
        from restorebench.validate import check_image

        return check_image(src, what, min_side=1), None
    img, kind = read_image_kind(src, convert=True)
    return img, None if kind == "rgb8" else f"{src}: {kind} file converted to RGB for scoring"


def _size(src: Source) -> tuple[int, int]:
    if isinstance(src, np.ndarray):
        return int(src.shape[0]), int(src.shape[1])
    from PIL import Image

    try:
        with Image.open(src) as im:
            return im.height, im.width
    except (OSError, ValueError) as exc:
        raise InputError(f"{src}: unreadable image ({exc})") from exc


def _batch(arrays: list[np.ndarray], device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).to(device)


class _Run:
    """One scoring job: metrics built once per protocol, rows collected in order."""

    def __init__(
        self, metrics: Sequence[str], protocol: Protocol, device: torch.device, gt_given: bool, **options
    ) -> None:
        self.protocol = protocol
        self.rows: list[dict] = []
        self.image: dict[str, ImageMetric] = {}
        self.sets: dict[str, SetMetric] = {}
        self.skipped: dict[str, str] = {}
        for name in metrics:
            kind = spec(name).kind
            if kind in ("fr", "dist") and not gt_given:
                self.skipped[name] = f"{name} needs ground truth (--gt)"
                continue
            metric = build_metric(name, protocol, device, **options.get(name, {}))
            (self.sets if kind == "dist" else self.image)[name] = metric

    def add(self, image_id: str, metric: str, value: float, note: str | None = None) -> None:
        self.rows.append(
            {
                "image_id": image_id,
                "metric": metric,
                "value": float(value),
                "protocol": self.protocol.name,
                "note": note,
            }
        )

    def fail(self, items: Sequence[_Item], metrics: Sequence[str], note: str) -> None:
        for it in items:
            for m in metrics:
                self.add(it.image_id, m, np.nan, note)

    def score_group(
        self,
        items: list[_Item],
        preds: list[np.ndarray],
        gts: list[np.ndarray] | None,
        device: torch.device,
        notes: list[str | None],
    ) -> None:
        """Score same-size images; ``notes[i]`` (a conversion, or None) goes with item i's rows."""
        pred = _batch(preds, device)
        gt = _batch(gts, device) if gts is not None else None
        for name, metric in self.image.items():
            try:
                values = metric.score(pred, gt if metric.kind == "fr" else None)
            except (RestoreBenchError, ValueError) as exc:
                self.fail(items, [name], str(exc))
                continue
            for it, v, note in zip(items, values.tolist(), notes, strict=True):
                self.add(it.image_id, name, v, note if np.isfinite(v) else f"{name} gave {v}")
        for metric in self.sets.values():
            metric.update(pred, gt)

    def finish(self) -> pd.DataFrame:
        for name, metric in self.sets.items():
            try:
                self.add(SET_ID, name, metric.compute())
            except RestoreBenchError as exc:
                self.add(SET_ID, name, np.nan, str(exc))
        for name, why in self.skipped.items():
            self.add(SET_ID, name, np.nan, why)
        return pd.DataFrame(self.rows, columns=COLUMNS)


def _score(
    items: list[_Item],
    metrics: Sequence[str],
    protocol: str | Protocol,
    device: str,
    batch_size: int,
    progress: bool,
    options: dict | None,
) -> pd.DataFrame:
    if batch_size < 1:
        raise InputError(f"batch_size={batch_size}: must be >= 1")
    dev = torch.device(device)
    gt_given = all(it.gt is not None for it in items)
    run = _Run(metrics, get_protocol(protocol), dev, gt_given, **(options or {}))
    # a pair that cannot be scored gets a NaN row with the reason for every metric, set metrics included:
    # the image is then left out of the FID/KID sets, and its row says so
    every_metric = list(run.image) + list(run.sets)
    groups: dict[tuple, list[_Item]] = defaultdict(list)
    for it in items:
        try:
            size = _size(it.pred)
            gt_size = _size(it.gt) if it.gt is not None else size
            if gt_size != size:
                run.fail(
                    [it],
                    every_metric,
                    f"size mismatch: pred {size[0]}x{size[1]} vs gt {gt_size[0]}x{gt_size[1]}; "
                    "full-reference metrics never resize",
                )
                continue
            if 0 in run.protocol.scored_size(*size):
                run.fail(
                    [it],
                    every_metric,
                    f"image is {size[0]}x{size[1]}: nothing is left after protocol {run.protocol.name}'s crop "
                    f"(to a multiple of {run.protocol.crop_multiple}, border {run.protocol.crop_border})",
                )
                continue
        except RestoreBenchError as exc:
            run.fail([it], every_metric, str(exc))
            continue
        groups[size].append(it)
    bar = tqdm(
        total=sum(map(len, groups.values())),
        desc=f"score {run.protocol.name}",
        unit="img",
        disable=not progress,
    )
    for size_items in groups.values():
        for start in range(0, len(size_items), batch_size):
            chunk = size_items[start : start + batch_size]
            loaded, preds, gts, notes = [], [], [], []
            for it in chunk:
                try:
                    p, p_note = _load(it.pred, f"pred {it.image_id}")
                    g, g_note = _load(it.gt, f"gt {it.image_id}") if it.gt is not None else (None, None)
                except RestoreBenchError as exc:
                    run.fail([it], every_metric, str(exc))
                    continue
                loaded.append(it)
                preds.append(p)
                notes.append("; ".join(n for n in (p_note, g_note) if n) or None)
                if g is not None:
                    gts.append(g)
            if loaded:
                run.score_group(loaded, preds, gts if gt_given else None, dev, notes)
            bar.update(len(chunk))
    bar.close()
    return run.finish()


def score_pairs(
    pairs: Sequence[tuple[str, Path, Path | None]],
    metrics: Sequence[str],
    protocol: str | Protocol = "basicsr",
    device: str = "cpu",
    batch_size: int = 16,
    progress: bool = False,
    options: dict | None = None,
) -> pd.DataFrame:
    """Score file pairs [(image_id, pred_path, gt_path or None)] with ``metrics`` under ``protocol``.

    Returns one row per (image, metric) (see the module docstring); ``options`` maps a metric name to extra
    constructor arguments (e.g. ``{"fid": {"resize": "torch"}}``).
    """
    items = [_Item(i, Path(p), Path(g) if g is not None else None) for i, p, g in pairs]
    return _score(items, metrics, protocol, device, batch_size, progress, options)


def score_arrays(
    pred: Sequence[np.ndarray],
    gt: Sequence[np.ndarray] | None,
    ids: Sequence[str],
    metrics: Sequence[str],
    protocol: str | Protocol = "basicsr",
    device: str = "cpu",
    batch_size: int = 16,
    options: dict | None = None,
) -> pd.DataFrame:
    """Score in-memory images (HxWx3 float32 in [0,1]); same output as :func:`score_pairs`."""
    if len(pred) != len(ids) or (gt is not None and len(gt) != len(pred)):
        raise InputError(
            f"score_arrays: {len(pred)} predictions, {len(ids)} ids"
            + (f", {len(gt)} ground truths" if gt is not None else "")
            + "; the lengths must match"
        )
    gts = list(gt) if gt is not None else [None] * len(pred)
    items = [_Item(i, p, g) for i, p, g in zip(ids, pred, gts, strict=True)]
    return _score(items, metrics, protocol, device, batch_size, False, options)


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """Mean value and count of scored images per (metric, protocol); NaN rows are counted as failed."""
    g = df.groupby(["metric", "protocol"], sort=False)["value"]
    return pd.DataFrame(
        {"mean": g.mean(), "scored": g.count(), "failed": g.apply(lambda v: int(v.isna().sum()))}
    )


def save_scores(df: pd.DataFrame, path: str | os.PathLike, protocols: Sequence[str | Protocol] = ()) -> Path:
    """Write ``df`` as parquet at ``path`` (atomically); the protocols' conventions go into its metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"restorebench.protocols"] = json.dumps([get_protocol(p).to_dict() for p in protocols]).encode()
    path = Path(path)
    with atomic_path(path) as tmp:
        pq.write_table(table.replace_schema_metadata(meta), tmp)
    return path


def load_protocols(path: str | os.PathLike) -> list[dict]:
    """The protocol dicts stored by :func:`save_scores` in a parquet file."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(b"restorebench.protocols", b"[]"))
