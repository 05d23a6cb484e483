"""Suite runs on Dask: chunks of images restored and scored on workers give the serial run's results, resumably."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from benchmark.runner import Method, run_suite
from benchmark.suites.schema import build_suite
from restorebench.engine import Engine


def tiny_suite():
    return build_suite({"name": "tiny", "data_root": ".", "protocol": "rgb", "metrics": ["psnr", "ssim"],
                        "task_defaults": {"source": "skimage:astronaut,coffee,chelsea", "crop": 48, "seed": 0},
                        "tasks": {"noise25": {"spec": {"op": "noise.gaussian", "params": {"sigma": 25.0}}}}})


def smooth(img: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(img, (5, 5), 1.2)


def smooth_loader():
    return smooth


def broken_loader():
    raise RuntimeError("no weights here")


def methods() -> list[Method]:
    return [Method("smooth", smooth_loader), Method("broken", broken_loader)]


def _sorted(results: pd.DataFrame) -> pd.DataFrame:
    return results.sort_values(["method", "task", "image_id", "metric"]).reset_index(drop=True)


def test_dask_chunks_equal_the_serial_run_and_resume(tmp_path: Path):
    suite, cache = tiny_suite(), tmp_path / "cache"
    serial = run_suite(suite, methods(), tmp_path / "serial", cache, quiet=True)
    dask = run_suite(suite, methods(), tmp_path / "dask", cache, quiet=True, engine=Engine("dask", workers=2), chunk=2)
    assert dask.counts["restored"] == dask.counts["scored"] == 3  # 2 chunks of smooth
    assert dask.status["broken"] == serial.status["broken"] == "RuntimeError: no weights here"
    pd.testing.assert_frame_equal(_sorted(dask.results), _sorted(serial.results))
    for image in serial.data["noise25"].items:
        name = f"{image.image_id}.png"
        assert (dask.restored_dir("smooth", "noise25") / name).read_bytes() == (
            serial.restored_dir("smooth", "noise25") / name).read_bytes()
    assert not list((tmp_path / "dask").rglob("*.parts"))  # parts merged into the score caches
    again = run_suite(suite, methods()[:1], tmp_path / "dask", cache, quiet=True, engine=Engine("dask", workers=2))
    assert again.counts == {"generated": 0, "restored": 0, "scored": 0}  # no chunk left: no cluster started
