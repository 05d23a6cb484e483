"""Engines: serial, pool and Dask write the same corpus; a dead Dask worker, an interrupted driver, fsspec URLs."""

from __future__ import annotations

import os

import fsspec
import pytest
from corpus_helpers import DyingOnceSource, InterruptingSource, square_dying_once, tree

from degrade.corpus import folder_source, generate, verify_corpus
from restorebench.engine import Engine, local_cluster
from restorebench.errors import InputError


@pytest.fixture(scope="module")
def reference(tmp_path_factory, source_dir, config):
    """The serial corpus with 3-sample shard tasks (one source each)."""
    out = tmp_path_factory.mktemp("ref") / "corpus"
    generate(folder_source(source_dir), out, config, progress=False, shard_size=3)
    return tree(out)


def test_serial_pool_and_dask_write_identical_corpora(tmp_path, source_dir, config, reference):
    for kind, size in (("pool", 6), ("dask", 3)):
        summary = generate(folder_source(source_dir), tmp_path / kind, config, progress=False,
                           engine=Engine(kind, workers=2), shard_size=size)
        assert (summary.written, summary.samples) == (12, 12), kind
        assert tree(tmp_path / kind) == reference, kind


def test_a_dask_worker_killed_mid_run_still_gives_the_whole_corpus(tmp_path, source_dir, config, reference):
    src = folder_source(source_dir)
    marker = tmp_path / "died"
    dying = DyingOnceSource(src.kind, src.location, src.names, src.paths, die_at=src.names.index("photo0.png"),
                            marker=str(marker))
    generate(dying, tmp_path / "out", config, progress=False, engine=Engine("dask", workers=2), shard_size=3)
    assert marker.exists()  # a worker did die
    assert tree(tmp_path / "out") == reference and verify_corpus(tmp_path / "out").ok


def test_a_lone_dask_worker_killed_mid_map_takes_the_scattered_context_with_it_and_the_map_still_ends(tmp_path):
    # with one worker its death loses the only copy of the scattered context: the tasks that needed it are
    # cancelled, and the engine must scatter it again and resend them
    marker = tmp_path / "died"
    got = sorted(Engine("dask", workers=1).map(square_dying_once, str(marker), list(range(6))))
    assert marker.exists() and got == [k * k for k in range(6)]


def test_rerun_after_an_interrupted_driver_skips_finished_shards(tmp_path, source_dir, config, reference):
    src = folder_source(source_dir)
    stop = InterruptingSource(src.kind, src.location, src.names, src.paths, stop_at=src.names.index("photo2.png"))
    with pytest.raises(KeyboardInterrupt):
        generate(stop, tmp_path / "out", config, progress=False, shard_size=3)
    parts = list((tmp_path / "out" / "manifest").glob("part-*.parquet"))
    assert len(parts) == src.names.index("photo2.png")  # one part per source before it (bad files, photo0)
    with pytest.raises(InputError, match="--resume"):
        generate(src, tmp_path / "out", config, progress=False, shard_size=3)
    summary = generate(src, tmp_path / "out", config, progress=False, shard_size=3, resume=True)
    assert (summary.reused, summary.written) == (3, 9)  # photo0's 3 samples verified and kept
    assert tree(tmp_path / "out") == reference


def test_fsspec_urls_go_through_the_same_code(tmp_path, source_dir, config, reference):
    generate(folder_source(source_dir), f"file://{tmp_path}/local", config, progress=False, shard_size=3)
    assert tree(tmp_path / "local") == reference
    url = "memory://restorebench-test/corpus"
    generate(folder_source(source_dir), url, config, progress=False, shard_size=3)
    fs = fsspec.filesystem("memory")
    got = {p.split("/corpus/", 1)[1]: fs.cat_file(p) for p in fs.find("/restorebench-test/corpus")}
    assert got == reference
    assert verify_corpus(url).ok
    fs.rm("/restorebench-test", recursive=True)


def _worker_settings(dask_worker) -> tuple[str | None, list[str], float]:
    return os.environ.get("MALLOC_TRIM_THRESHOLD_"), sorted(dask_worker.periodic_callbacks), \
        dask_worker.periodic_callbacks["monitor"].callback_time


def test_the_engines_local_cluster_runs_workers_without_malloc_trim_and_dashboard_samplers():
    from distributed import Client

    with local_cluster(1) as cluster, Client(cluster) as client:
        (trim, callbacks, monitor_ms), = client.run(_worker_settings).values()
    assert trim is None
    assert "profile" not in callbacks and "heartbeat" in callbacks
    assert monitor_ms == 10_000
