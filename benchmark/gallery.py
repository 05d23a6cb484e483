"""HTML gallery of aligned crops: input / every method / ground truth, one row per shown image.

All crops of a row share one window, chosen where the input differs most from the ground truth (the most
degraded region; the centre for images without ground truth), so methods are compared on the same pixels.
Crops are lossless PNG (``crop`` x ``crop`` pixels) shown enlarged with pixelated scaling, each a link to the
full-size image it was cut from; captions carry each method's score on that image, the input's own too.
The page is ``benchmark/templates/gallery.html``.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmark.render import render
from restorebench.atomic import write_text_atomic
from restorebench.imageio import read_image, write_image


@dataclass
class GalleryRow:
    """One image of a task: its input and target files, each method's output file, per-method captions."""

    task: str
    image_id: str
    input: Path
    target: Path | None
    outputs: dict[str, Path]
    captions: dict[str, str] = field(default_factory=dict)
    """panel label ("input", a method) -> its score on this image."""
    failed: dict[str, str] = field(default_factory=dict)
    """method -> error message, for methods that raised on this image (shown as an empty panel)."""


def choose_window(inp: np.ndarray, target: np.ndarray | None, crop: int) -> tuple[int, int, int]:
    """(top, left, side) of the ``crop``-sided window where |input - target| is largest (centre without GT).

    Searched on a grid of stride ``crop // 4`` over the mean absolute difference; the side shrinks to fit.
    """
    h, w = inp.shape[:2]
    side = min(crop, h, w)
    if target is None or target.shape != inp.shape:
        return (h - side) // 2, (w - side) // 2, side
    diff = np.abs(inp - target).mean(axis=2, dtype=np.float64)
    integral = np.pad(diff.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    stride = max(1, side // 4)
    tops, lefts = np.arange(0, h - side + 1, stride), np.arange(0, w - side + 1, stride)
    t, l_ = tops[:, None], lefts[None, :]
    sums = integral[t + side, l_ + side] - integral[t, l_ + side] - integral[t + side, l_] + integral[t, l_]
    i, j = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(tops[i]), int(lefts[j]), side


def _thumb(src: Path, window: tuple[int, int, int], dest: Path) -> Path:
    img = read_image(src, convert=True)
    top, left, side = window
    write_image(dest, np.ascontiguousarray(img[top : top + side, left : left + side]))
    return dest


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def write_gallery(
    rows: list[GalleryRow], out_dir: Path, title: str, crop: int = 128, scale: int = 2, intro: str = ""
) -> tuple[Path, list[Path]]:
    """Write ``out_dir/gallery.html`` and its crops under ``out_dir/gallery/``; each crop links to its full-size
    file where it lies (relative path: the run's work folder and data cache). ``intro``: HTML put above the rows.

    Returns the HTML path and the crop paths written.
    """
    out_dir = Path(out_dir)
    e = html.escape
    parts, current, thumbs = [], None, []
    for row in rows:
        if row.task != current:
            current = row.task
            parts.append(f"<h2>{e(row.task)}</h2>")
        inp = read_image(row.input, convert=True)
        tgt = read_image(row.target, convert=True) if row.target is not None else None
        window = choose_window(inp, tgt, crop)
        folder = out_dir / "gallery" / _safe(row.task)
        panels = (
            [("input", row.input)]
            + list(row.outputs.items())
            + ([("ground truth", row.target)] if tgt is not None else [])
        )
        figs = []
        for label, src in panels:
            dest = folder / f"{_safe(row.image_id)}__{_safe(label)}.png"
            thumbs.append(_thumb(src, window, dest))
            caption = e(label) + (f"<br>{e(row.captions[label])}" if label in row.captions else "")
            px = window[2] * scale
            full = Path(os.path.relpath(Path(src).resolve(), out_dir.resolve())).as_posix()
            figs.append(
                f'<figure><a href="{e(full)}" title="full-size image"><img '
                f'src="{e(dest.relative_to(out_dir).as_posix())}" width="{px}" height="{px}" alt="{e(label)}" '
                f'loading="lazy"></a><figcaption>{caption}</figcaption></figure>'
            )
        px = window[2] * scale
        figs += [
            f'<figure><div class="fail" style="width:{px}px;height:{px}px" title="{e(msg)}">failed</div>'
            f"<figcaption>{e(m)}<br>{e(msg[:80])}</figcaption></figure>"
            for m, msg in row.failed.items()
        ]
        top, left, side = window
        parts.append(
            f'<div class="id">{e(row.image_id)}: crop {side}x{side} at (x={left}, y={top})</div>'
            f'<div class="row">{"".join(figs)}</div>'
        )
    page = render("gallery.html", title=e(title), caption_px=str(crop * scale), intro=intro, rows="".join(parts))
    path = out_dir / "gallery.html"
    write_text_atomic(path, page)
    return path, thumbs
