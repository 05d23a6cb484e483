"""Where batch work runs: one map-over-items interface on this process, a local process pool or a Dask cluster.

``engine.map(fn, context, items)`` calls ``fn(context, item)`` for every item and yields the results in
completion order. ``context`` (the job: config, source list, output store) is sent to each worker once;
``setup()`` runs once per worker process before its first item (thread limits, allocator, registries).
Items must be independent and idempotent (a task may run twice when a worker dies); any order of results
must give the same output, which is the caller's job (sample ``i`` draws from ``sample_rng(seed, i)``).

* ``serial``: in this process, in item order.
* ``pool``: ``workers`` processes (``forkserver`` preloading ``preload`` modules, ``spawn`` where forkserver is
  missing); at most 4 items per worker queued. A dead worker stops the map with a one-line error.
* ``dask``: a dask.distributed cluster at ``address``, or a LocalCluster of ``workers`` single-threaded
  processes that the engine starts and shuts down (with :data:`LOCAL_CLUSTER_CONFIG`, see docs/scaling.md).
  Results stream through ``as_completed`` with a bounded window of futures, so a dead worker costs only the
  items it held; Dask reruns those (``distributed.scheduler.allowed-failures``, default 3). When the worker
  held the only copy of the scattered ``context``, the tasks that needed it come back cancelled: the context
  is scattered again and they are sent again (:data:`LOST_CONTEXT_RETRIES` times at most).
  Python exceptions are retried ``retries`` times, then raised here. ``resources`` (e.g. ``{"GPU": 1}``)
  is what each item needs from a worker (workers started with ``--resources GPU=1``).

:func:`map_threads` is the thread-level counterpart for code that releases the GIL (hashing, codecs).
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, TypeVar

from restorebench.errors import InputError, RestoreBenchError

ENGINES = ("serial", "pool", "dask")
C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")


_POOLS: dict[int, ThreadPoolExecutor] = {}
"""Thread pools of :func:`map_threads` by size, kept for reuse (starting threads at every call costs about as
much as a batch's per-sample host work); dropped in a forked child, whose copies have no threads."""
_POOLS_LOCK = threading.Lock()
_POOL_THREAD = threading.local()
os.register_at_fork(after_in_child=_POOLS.clear)


def _mark_pool_thread() -> None:
    _POOL_THREAD.inside = True


def _thread_pool(threads: int) -> ThreadPoolExecutor:
    with _POOLS_LOCK:
        if threads not in _POOLS:
            _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="restorebench",
                                                 initializer=_mark_pool_thread)
        return _POOLS[threads]


def map_threads(fn: Callable[[T], R], items: list[T], threads: int) -> list[R]:
    """``[fn(x) for x in items]`` on ``threads`` threads (in this thread when ``threads <= 1``, or when called from
    one of these threads: a nested map would wait on its own pool), in item order."""
    if min(threads, len(items)) <= 1 or getattr(_POOL_THREAD, "inside", False):
        return [fn(x) for x in items]
    return list(_thread_pool(threads).map(fn, items))


def map_chunks(fn: Callable[[list[T]], R], items: list[T], threads: int) -> list[R]:
    """``fn`` of each of ``min(threads, len(items))`` contiguous, near-equal chunks of ``items``, on as many
    threads, in chunk order (one chunk in this thread when ``threads <= 1``; none for no items)."""
    n = max(1, min(threads, len(items)))
    bounds = [len(items) * k // n for k in range(n + 1)]
    return map_threads(fn, [items[a:b] for a, b in itertools.pairwise(bounds) if b > a], n)


@dataclass
class Engine:
    """How to run a map: ``kind`` in ENGINES, worker count, Dask address, preloads, retries, resources."""

    kind: str = "serial"
    workers: int = 1
    address: str | None = None
    preload: tuple[str, ...] = ()
    retries: int = 0
    resources: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ENGINES:
            raise InputError(f"--engine {self.kind!r}: expected one of {', '.join(ENGINES)}")
        if self.workers < 1:
            raise InputError(f"--workers {self.workers}: need at least 1")
        if self.address is not None and self.kind != "dask":
            raise InputError(f"--dask-address needs --engine dask (got --engine {self.kind})")

    def map(self, fn: Callable[[C, T], R], context: C, items: Iterable[T],
            setup: Callable[[], None] | None = None) -> Iterator[R]:
        """``fn(context, item)`` for every item, results in completion order (see the module docstring)."""
        items = list(items)
        if not items:
            return
        if self.kind == "serial" or (self.kind == "pool" and (self.workers == 1 or len(items) <= 1)):
            yield from (fn(context, item) for item in items)
        elif self.kind == "pool":
            yield from _pool_map(fn, context, items, setup, self.workers, self.preload)
        else:
            yield from _dask_map(self, fn, context, items, setup)


_WORKER_CONTEXT: Any = None
_SET_UP: set[str] = set()


def _run_setup(setup: Callable[[], None] | None) -> None:
    """Run ``setup`` once per process (keyed by its qualified name)."""
    if setup is None:
        return
    key = f"{setup.__module__}.{setup.__qualname__}"
    if key not in _SET_UP:
        setup()
        _SET_UP.add(key)


def _pool_init(context: Any, setup: Callable[[], None] | None) -> None:
    global _WORKER_CONTEXT
    _run_setup(setup)
    _WORKER_CONTEXT = context


def _pool_call(fn: Callable[[Any, T], R], item: T) -> R:
    return fn(_WORKER_CONTEXT, item)


def _pool_context(preload: tuple[str, ...]) -> mp.context.BaseContext:
    """'forkserver' (Linux, macOS) preloading ``preload``, so that workers fork warm; else 'spawn'."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(list(preload))
    return ctx


def _pool_map(fn: Callable[[C, T], R], context: C, items: list[T], setup: Callable[[], None] | None,
              workers: int, preload: tuple[str, ...]) -> Iterator[R]:
    n = min(workers, len(items))
    todo = iter(items)
    pool = ProcessPoolExecutor(n, mp_context=_pool_context(preload), initializer=_pool_init,
                               initargs=(context, setup))
    try:
        pending = {pool.submit(_pool_call, fn, item) for item in itertools.islice(todo, 4 * n)}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
                pending |= {pool.submit(_pool_call, fn, item) for item in itertools.islice(todo, 1)}
    except BrokenProcessPool as exc:
        raise RestoreBenchError("a worker process died (killed, out of memory, or it could not start: run from a "
                                "script file, not stdin); finished work is kept: rerun with --resume") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask_call(setup: Callable[[], None] | None, fn: Callable[[C, T], R], context: C, item: T) -> R:
    _run_setup(setup)
    return fn(context, item)


LOCAL_CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "10s",
    "distributed.admin.tick.interval": "1s",
}
"""Dask settings of the clusters the engine starts: no ``MALLOC_TRIM_THRESHOLD_`` from the nanny (it makes freed
image buffers go back to the system after each use), and the dashboard's samplers (statistical profiler, system
monitor, event-loop tick) off or slowed: nobody watches a cluster that lives for one command, and their CPU time
competes with the tasks on a busy machine (docs/scaling.md)."""


def local_cluster(workers: int, resources: dict[str, float] | None = None) -> Any:
    """A LocalCluster of ``workers`` single-threaded worker processes, each offering ``resources``, with
    :data:`LOCAL_CLUSTER_CONFIG`."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                            resources=resources or None)


def _slots(client: Any) -> int:
    """Worker threads in the cluster now (it may grow or shrink while the map runs)."""
    return max(1, sum(client.nthreads().values()))


LOST_CONTEXT_RETRIES = 3
"""Times an item is sent again after its task was cancelled because the worker holding the scattered context
died before another copy existed (the context is scattered anew each time)."""


def _dask_map(engine: Engine, fn: Callable[[C, T], R], context: C, items: list[T],
              setup: Callable[[], None] | None) -> Iterator[R]:
    try:
        from distributed import CancelledError, Client, KilledWorker, as_completed
    except ImportError:
        raise InputError("--engine dask needs dask.distributed: pip install 'dask[distributed]'") from None
    cluster = None if engine.address else local_cluster(engine.workers, engine.resources)
    client = Client(engine.address or cluster)
    try:
        shared = client.scatter(context, broadcast=True)
        sent: dict[Any, tuple[T, Any, int]] = {}  # future -> (item, the context it was given, resends so far)
        todo = iter(items)

        def submit(item: T, resends: int = 0) -> Any:
            future = client.submit(_dask_call, setup, fn, shared, item, pure=False, retries=engine.retries,
                                   resources=engine.resources or None)
            sent[future] = (item, shared, resends)
            return future

        window = as_completed([submit(item) for item in itertools.islice(todo, 2 * _slots(client))])
        for future in window:
            item, given, resends = sent.pop(future)
            try:
                result = future.result()
            except KilledWorker as exc:
                raise RestoreBenchError(f"{exc.allowed_failures + 1} Dask workers died running one task (out of "
                                        "memory?); finished work is kept: rerun with --resume") from exc
            except CancelledError:
                if resends >= LOST_CONTEXT_RETRIES:
                    raise RestoreBenchError("Dask kept losing the job's context with dying workers; finished "
                                            "work is kept: rerun with --resume") from None
                if given is shared:
                    shared = client.scatter(context, broadcast=True)
                window.add(submit(item, resends + 1))
                continue
            future.release()
            for item in itertools.islice(todo, max(1, 2 * _slots(client) - window.count())):
                window.add(submit(item))
            yield result
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
