"""Extension: keep the garbage collector's full passes short during a crawl.

CPython's generation-2 collection walks every tracked object; a crawler process
holds a few hundred thousand long-lived ones (Scrapy, SQLAlchemy, the catalogue,
the story index) and each full pass stalled the reactor for 100-700 ms on the
2-core bench machine. When the first spider opens, everything alive is moved to
the permanent generation (``gc.freeze``), so later passes walk only what the
crawl itself keeps. Reference counting still frees the per-page objects as
before. ``MONITOR_GC_FREEZE = False`` turns it off.
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

_frozen = False


def freeze_startup_heap() -> bool:
    """Collect once, then freeze what is left; only the first call in a process does anything."""
    global _frozen
    if _frozen:
        return False
    gc.collect()
    gc.freeze()
    _frozen = True
    return True


class GcFreeze:
    """Freezes the startup heap when the process's first spider opens."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "GcFreeze":
        if not crawler.settings.getbool("MONITOR_GC_FREEZE", True):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self) -> None:
        if freeze_startup_heap():
            self.crawler.stats.set_value("monitor/gc_frozen_objects", gc.get_freeze_count())
