"""The work folder of suite runs (``WORK``, default ``$RESTOREBENCH_CACHE/runs/<suite>``): what is cached where.

Layout::

    restored/<method>/<task>-<content12>/<id>.png          restored image (8-bit PNG, written atomically)
    restored/<method>/<task>-<content12>/<id>.error.json   one-line error of a method that raised on that image
    restored/<method>/<task>-<content12>/times.jsonl       seconds per restored image (for the s/img column)
    restored/<method>/<task>-<content12>/conditioning.jsonl what each image was given besides itself
    scores/<protocol>/<method>/<task>-<content12>.parquet  per-image scores [image_id, metric, value, note]
    complexity/<method>.json                               parameters and MACs of a learned method

``<method>`` is the method's cache key (its name and configuration fingerprint). ``content12`` starts the
sha256 of the task's data (inputs and targets), so regenerating bit-identical data with changed code keeps all
work. A file present means that piece of work is done.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmark.suites.data import TaskData, default_cache_dir


def default_work_dir(suite: str) -> Path:
    """``$RESTOREBENCH_CACHE/runs/<suite>`` or ``~/.cache/restorebench/runs/<suite>``."""
    return default_cache_dir().parent / "runs" / suite


def task_dir(root: Path, td: TaskData) -> Path:
    """``root/<task>-<content12>``: the folder of one task's work under ``root``."""
    return root / f"{td.task.name}-{td.content[:12]}"


def restored_dir(work_dir: Path, method_key: str, td: TaskData) -> Path:
    """The folder of a method's restored images of a task."""
    return task_dir(work_dir / "restored" / method_key, td)


def score_path(work_dir: Path, protocol: str, method_key: str, td: TaskData) -> Path:
    """The parquet file of a method's scores on a task under ``protocol``."""
    stem = task_dir(work_dir / "scores" / protocol / method_key, td)
    return stem.with_name(stem.name + ".parquet")  # not with_suffix: task names may contain dots


def read_jsonl(path: Path, key: str) -> dict[str, object]:
    """image id -> ``key`` of every complete line of a per-image JSON-lines file (last line wins)."""
    out: dict[str, object] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                rec = json.loads(line)
                out[rec["id"]] = rec[key]
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a kill
    return out


def append_jsonl(path: Path, rec: dict) -> None:
    """Append one JSON record as a line to ``path``."""
    with open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")


def read_times(path: Path) -> dict[str, float]:
    """image id -> restore seconds from a ``times.jsonl`` file (empty when absent)."""
    return {k: float(v) for k, v in read_jsonl(path, "seconds").items()}


def image_conditioning(folder: Path) -> dict[str, str]:
    """image id -> what it was given besides itself when restored into ``folder`` (images given nothing: absent)."""
    return {k: str(v) for k, v in read_jsonl(folder / "conditioning.jsonl", "conditioning").items()}


def pending(td: TaskData, folder: Path, retry_failed: bool = False) -> list:
    """Items of a task that ``folder`` holds neither an output nor (unless retrying) a recorded error for."""
    return [
        it
        for it in td.items
        if not (folder / f"{it.image_id}.png").is_file()
        and (retry_failed or not (folder / f"{it.image_id}.error.json").is_file())
    ]


def image_errors(td: TaskData, folder: Path) -> dict[str, str]:
    """image id -> the one-line error a method recorded for it in ``folder`` (images it failed on)."""
    out = {}
    for it in td.items:
        err = folder / f"{it.image_id}.error.json"
        if err.is_file() and not (folder / f"{it.image_id}.png").is_file():
            out[it.image_id] = json.loads(err.read_text())["error"]
    return out
