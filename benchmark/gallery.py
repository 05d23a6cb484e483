"""HTML gallery of aligned crops: input / every method / ground truth, one row per shown image.

All crops of a row share one window, chosen where the input differs most from the ground truth (the most
degraded region; the centre for images without ground truth), so methods are compared on the same pixels.
Crops are small JPEG thumbnails (``crop`` x ``crop`` pixels, quality 85) shown enlarged with pixelated
scaling; captions carry each method's score on that image.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from restorebench.atomic import write_text_atomic
from restorebench.imageio import read_image, write_image

CSS = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}h2{margin-top:1.6em}
.row{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0 14px}.row figure{margin:0;text-align:center}
.row img{image-rendering:pixelated;border:1px solid #bbb}
figcaption{font-size:11px;max-width:%dpx;overflow-wrap:anywhere}
.id{font-size:12px;color:#555;margin-top:10px}
.fail{display:flex;align-items:center;justify-content:center;background:#f6e3e3;color:#a33;font-size:12px}"""


@dataclass
class GalleryRow:
    """One image of a task: its input and target files, each method's output file, per-method captions."""

    task: str
    image_id: str
    input: Path
    target: Path | None
    outputs: dict[str, Path]
    captions: dict[str, str] = field(default_factory=dict)
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
    write_image(dest, np.ascontiguousarray(img[top : top + side, left : left + side]), quality=85)
    return dest


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def write_gallery(
    rows: list[GalleryRow], out_dir: Path, title: str, crop: int = 128, scale: int = 2, intro: str = ""
) -> tuple[Path, list[Path]]:
    """Write ``out_dir/gallery.html`` and its thumbnails under ``out_dir/gallery/``.

    Returns the HTML path and the thumbnail paths written.
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
            dest = folder / f"{_safe(row.image_id)}__{_safe(label)}.jpg"
            thumbs.append(_thumb(src, window, dest))
            caption = e(label) + (f"<br>{e(row.captions[label])}" if label in row.captions else "")
            px = window[2] * scale
            figs.append(
                f'<figure><img src="{e(dest.relative_to(out_dir).as_posix())}" width="{px}" height="{px}" '
                f'alt="{e(label)}" loading="lazy"><figcaption>{caption}</figcaption></figure>'
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
    page = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{CSS % (crop * scale)}</style></head><body><h1>{e(title)}</h1>{intro}"
        f"{''.join(parts)}</body></html>\n"
    )
    path = out_dir / "gallery.html"
    write_text_atomic(path, page)
    return path, thumbs
