"""Scrapy's scheduler with the waiting requests in a temporary disk queue.

A backfill can list a hundred thousand article URLs within minutes (sitemaps, a lifted
``MONITOR_MAX_ARTICLES_PER_LISTING``). In Scrapy's memory queue each waiting request costs
about a kilobyte and more with its feed entry; on disk it costs nothing, so a crawl's memory
stays flat however long its queue grows. Unlike ``JOBDIR`` nothing persists: the directory
is removed when the spider closes, so the next scheduled crawl starts clean and does not
take its feeds for already-seen requests. Set ``JOBDIR`` to get Scrapy's own pause/resume
instead; ``MONITOR_QUEUE_ON_DISK = False`` keeps the memory queue.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler


class DiskQueueScheduler(Scheduler):
    """``Scheduler`` whose disk queue lives in a per-crawl temporary directory."""

    _tmpdir: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DiskQueueScheduler":
        scheduler = super().from_crawler(crawler)
        if scheduler.dqdir is None and crawler.settings.getbool("MONITOR_QUEUE_ON_DISK", True):
            scheduler._tmpdir = tempfile.mkdtemp(prefix=f"monitor-queue-{crawler.spidercls.name}-")
            scheduler.dqdir = scheduler._dqdir(scheduler._tmpdir)
        return scheduler

    def close(self, reason: str) -> Any:
        try:
            return super().close(reason)
        finally:
            if self._tmpdir:
                shutil.rmtree(self._tmpdir, ignore_errors=True)
