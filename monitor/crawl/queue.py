"""Scrapy's scheduler with the waiting requests in a temporary disk queue.

A backfill can list a hundred thousand article URLs within minutes (sitemaps, a lifted
``MONITOR_MAX_ARTICLES_PER_LISTING``). In Scrapy's memory queue each waiting request costs
about a kilobyte and more with its feed entry; on disk it costs nothing, so a crawl's memory
stays flat however long its queue grows. Unlike ``JOBDIR`` nothing persists: the directory
is removed when the spider closes, so the next scheduled crawl starts clean and does not
take its feeds for already-seen requests. Set ``JOBDIR`` to get Scrapy's own pause/resume
instead; ``MONITOR_QUEUE_ON_DISK = False`` keeps the memory queue.

A crawl killed with SIGKILL cannot remove its directory, so each crawl first deletes
the ``monitor-queue-*`` directories whose process (the pid in the name) is gone and
which nobody has written to for an hour: a scheduler's crashes do not fill ``$TMPDIR``.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from scrapy import Spider
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler
from scrapy.squeues import PickleFifoDiskQueue


QUEUE_PREFIX = "monitor-queue-"
STALE_AFTER_SECONDS = 3600.0
_PID = re.compile(r"-pid(\d+)-")


def sweep_stale_queues(directory: str | Path | None = None, *, older_than: float = STALE_AFTER_SECONDS) -> list[Path]:
    """Delete the queue directories in ``directory`` (default ``$TMPDIR``) left by crawls that died;
    returns what went. Only names carrying a pid whose process is gone, untouched for ``older_than``."""
    removed = []
    for path in Path(directory or tempfile.gettempdir()).glob(f"{QUEUE_PREFIX}*"):
        match = _PID.search(path.name)
        try:
            if not match or _alive(int(match.group(1))) or time.time() - _last_write(path) < older_than:
                continue
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _last_write(path: Path) -> float:
    """The newest mtime in the tree: the queue writes its chunks two directories down."""
    return max([path.stat().st_mtime, *(p.stat().st_mtime for p in path.rglob("*"))])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class DiskQueueScheduler(Scheduler):
    """``Scheduler`` whose disk queue lives in a per-crawl temporary directory."""

    _tmpdir: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DiskQueueScheduler":
        scheduler = super().from_crawler(crawler)
        if scheduler.dqdir is None and crawler.settings.getbool("MONITOR_QUEUE_ON_DISK", True):
            sweep_stale_queues()
            scheduler._tmpdir = tempfile.mkdtemp(prefix=f"{QUEUE_PREFIX}{crawler.spidercls.name}-pid{os.getpid()}-")
            scheduler.dqdir = scheduler._dqdir(scheduler._tmpdir)
        return scheduler

    def close(self, reason: str) -> Any:
        try:
            return super().close(reason)
        finally:
            if self._tmpdir:
                shutil.rmtree(self._tmpdir, ignore_errors=True)


class SpiderMethods:
    """The spider's methods (bound), and nothing else: what a request's callback is looked up among.

    Scrapy serializes a callback by searching ``inspect.getmembers(spider)`` for it, which
    reads every attribute and property of the spider: ~130 us per request for ours, on the
    reactor thread (130 ms for a feed of 1,000 entries); among these few names ~26 us
    (``bench/throughput.py --queue-cost``).
    """

    def __init__(self, spider: Spider) -> None:
        names = {name for klass in type(spider).__mro__ for name, value in vars(klass).items()
                 if inspect.isfunction(value) and not name.startswith("__")}
        self.__dict__.update({name: getattr(spider, name) for name in names})
        self._names = sorted(names)

    def __dir__(self) -> list[str]:
        return self._names


class FifoDiskQueue(PickleFifoDiskQueue):  # type: ignore[misc,valid-type]
    """Scrapy's pickled FIFO disk queue, serializing callbacks by name through ``SpiderMethods``."""

    def __init__(self, crawler: Crawler, key: str) -> None:
        super().__init__(crawler, key)
        self.spider = SpiderMethods(crawler.spider)
