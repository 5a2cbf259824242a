"""Dedupe stage: drop exact duplicates, spot revisions, and put new articles into stories."""

from __future__ import annotations

import time

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import DeferredLock
from twisted.internet.threads import deferToThread

from monitor.crawl.storage import store_for
from monitor.dedupe.stories import resolver_for
from monitor.enrich import DuplicateArticleError, apply_dedupe
from monitor.items import ArticleItem


# One per resolver, which the process's crawlers share: the first item of any crawler loads it in one
# thread while the others wait on the lock, not each in a thread of the reactor's pool.
_loading_locks: dict[int, DeferredLock] = {}


class DedupePipeline:
    """Adapter over ``monitor.enrich.apply_dedupe``; counts what it finds."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store = store_for(crawler)
        self.stories = resolver_for(self.store.engine, crawler.settings.getint("MONITOR_STORY_INDEX_SIZE") or None)
        self.dry_run = not crawler.settings.getbool("MONITOR_STORE", True)
        self.loading = _loading_locks.setdefault(id(self.stories), DeferredLock())

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DedupePipeline":
        return cls(crawler)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        if item.signature and not self.stories.loaded:
            await self._load_stories()
        stats = self.crawler.stats
        try:
            apply_dedupe(item, self.store, self.stories, dry_run=self.dry_run)
        except DuplicateArticleError as exc:
            stats.inc_value(f"monitor/duplicates/{exc.reason}")
            raise DropItem(str(exc), log_level="INFO") from exc
        if item.revision_of:
            stats.inc_value("monitor/revisions")
        elif item.duplicate_of:
            stats.inc_value("monitor/duplicates/near")
        return item

    async def _load_stories(self) -> None:
        """Fill the story index from the database in a thread: seconds of work kept off the reactor.

        The first item that may need a story starts it; the items behind it wait on the lock.
        Stats ``monitor/story_index/loaded`` (signatures) and ``load_ms`` say when it happened.
        """
        await maybe_deferred_to_future(self.loading.acquire())
        try:
            if not self.stories.loaded:
                started = time.perf_counter()
                await maybe_deferred_to_future(deferToThread(self.stories.ensure_loaded))
                stats = self.crawler.stats
                stats.set_value("monitor/story_index/loaded", len(self.stories.index))
                stats.set_value("monitor/story_index/load_ms", round((time.perf_counter() - started) * 1000))
        finally:
            self.loading.release()
