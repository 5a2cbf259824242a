"""Run the CPU-heavy per-article work off the reactor, in worker processes.

Extraction, fingerprinting, language and topics cost tens of milliseconds of
CPU per page; on the reactor thread they stall downloads and use one core.
With ``MONITOR_PROCESS_POOL = N`` (N > 0) the extract pipeline sends each page
to one of N worker processes (one ``ProcessPoolExecutor`` per process, shared
by every crawler) and awaits the result; 0 runs the same function in this
process; ``"auto"`` (the default) sizes the pool to this crawl's share of the
CPUs (``monitor.crawl.pool_size``). The same workers parse big feeds, sitemaps
and PDFs (``run_off_reactor``).

Workers are spawned (never forked from a process running a reactor) and warm
the tagger and language profiles once, before their first page; they apply the
same malloc tuning as this process (``monitor.crawl.allocator``). A pool broken
by a dying worker is replaced (``submit``).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from monitor.crawl.allocator import applied_tuning
from monitor.crawl.worker import initialize_worker

T = TypeVar("T")

logger = logging.getLogger(__name__)

_pools: dict[int, ProcessPoolExecutor] = {}
_lock = threading.Lock()
_replaced = 0  # pools this process replaced after a worker died


def pool_for(workers: int) -> ProcessPoolExecutor | None:
    """The process-wide pool with ``workers`` processes; None for 0 (run in this process)."""
    if not isinstance(workers, int) or workers < 0:
        raise ValueError(f"MONITOR_PROCESS_POOL: expected a number of worker processes >= 0, got {workers!r}")
    if workers == 0:
        return None
    with _lock:
        if workers not in _pools:
            _pools[workers] = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=initialize_worker, initargs=(applied_tuning(),))
        return _pools[workers]


def pools_replaced() -> int:
    """How many broken pools this process has replaced (stat ``monitor/pool/replaced``)."""
    return _replaced


def shutdown_pools() -> None:
    """Stop every worker process this process started (idempotent)."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


def submit(workers: int, function: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
    """``function(*args, **kwargs)`` in the ``workers`` pool; a pool broken by a dying worker is replaced.

    A worker that dies (a parser crashing on a hostile page, the kernel's OOM
    killer) breaks the whole ``ProcessPoolExecutor``: every task in it fails with
    ``BrokenProcessPool``, and so would every later one. Each failed task is
    retried once in a fresh pool; one that breaks that pool too fails with
    ``BrokenProcessPool`` (a task that shared both pools with it may fail with it:
    it is not stored, so the next crawl fetches it again).
    """
    outer: Future[T] = Future()
    _attempt(outer, workers, 1, function, args, kwargs)
    return outer


# Module-level rather than two closures calling each other: such closures form a
# reference cycle through their cells, which would keep every page (the task's
# arguments and its result) alive until the collector's next full pass.
def _attempt(outer: Future[T], workers: int, retries: int, function: Callable[..., T],
             args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    pool = pool_for(workers)
    assert pool is not None, "submit() needs workers > 0"
    try:
        inner = pool.submit(function, *args, **kwargs)
    except BrokenProcessPool as error:  # broken before this task got in
        _settle(outer, workers, retries, pool, error, None, function, args, kwargs)
        return
    inner.add_done_callback(
        lambda done: _settle(outer, workers, retries, pool, done.exception(), done, function, args, kwargs))


def _settle(outer: Future[T], workers: int, retries: int, pool: ProcessPoolExecutor, error: BaseException | None,
            done: Future[T] | None, function: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if isinstance(error, BrokenProcessPool) and retries:
        _discard(workers, pool)
        _attempt(outer, workers, retries - 1, function, args, kwargs)
    elif error is not None:
        outer.set_exception(error)
    else:
        assert done is not None
        outer.set_result(done.result())


def _discard(workers: int, pool: ProcessPoolExecutor) -> None:
    """Forget a broken pool, so the next ``pool_for(workers)`` starts a fresh one."""
    global _replaced
    with _lock:
        if _pools.get(workers) is not pool:
            return  # another task of the same pool got here first
        del _pools[workers]
        _replaced += 1
    logger.warning("an extract worker died (a parser crash or the OOM killer?): starting a fresh pool of %d and "
                   "retrying the pages it held", workers)
    pool.shutdown(wait=False, cancel_futures=True)


async def run_in_pool(workers: int, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` in one of ``workers`` worker processes (awaited without blocking the
    reactor), or here for 0.

    ``function`` and its arguments must be picklable; its exceptions are raised
    here as they were raised there (``BrokenProcessPool``: see ``submit``).
    """
    if not workers:
        return function(*args, **kwargs)
    from twisted.internet import reactor  # the running one

    deferred: Deferred[T] = Deferred()

    def done(future: Future[T]) -> None:
        reactor.callFromThread(_fire, deferred, future)  # type: ignore[attr-defined]

    submit(workers, function, *args, **kwargs).add_done_callback(done)
    return await maybe_deferred_to_future(deferred)


async def run_off_reactor(workers: int, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` in one of ``workers`` worker processes, or in a reactor thread for 0.

    For parsing that can hold the reactor too long (a feed or sitemap of thousands
    of entries, a PDF, sniffing a page's charset). Even in a thread of this process
    it would hold the GIL, and the collector's full passes over the thousands of
    objects a big listing builds would stop the reactor for hundreds of
    milliseconds; a worker process builds them on its own heap.
    """
    if not workers:
        return await maybe_deferred_to_future(deferToThread(function, *args, **kwargs))
    return await run_in_pool(workers, function, *args, **kwargs)


def _fire(deferred: Deferred[T], future: Future[T]) -> None:
    error = future.exception()
    if error is not None:
        deferred.errback(Failure(error))
    else:
        deferred.callback(future.result())
