"""Store stage: batched, idempotent upserts, each batch written in a thread off the reactor.

Pending rows are flushed when a batch is full and when a spider closes. The
write (inserts, topics, signatures, full-text index, alert matching) runs in
Twisted's thread pool, so downloads and the other stages go on meanwhile; the
item that filled the batch waits for it, which holds back the crawl if the
database cannot keep up.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import DeferredLock
from twisted.internet.threads import deferToThread

from monitor.crawl.storage import source_info, store_for
from monitor.db.store import ArticleStore, FlushResult, StoreError
from monitor.items import ArticleItem
from monitor.records import article_row


_write_locks: dict[int, DeferredLock] = {}  # per shared store: one write at a time, in order


class StorePipeline:
    """Adapter over ``monitor.db.store.ArticleStore`` (shared by all crawlers of the process)."""

    def __init__(self, crawler: Crawler, store: ArticleStore) -> None:
        self.crawler = crawler
        self.store = store
        self.source_id: int | None = None
        self.source_name = ""
        self.logger = logging.getLogger("monitor.store")
        self.write_lock = _write_locks.setdefault(id(store), DeferredLock())
        store.on_flush(self._count)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        if not crawler.settings.getbool("MONITOR_STORE", True):
            raise NotConfigured  # MONITOR_STORE is off (a dry run, asked for): no "Disabled" warning
        return cls(crawler, store_for(crawler))

    def open_spider(self) -> None:
        info = source_info(self.crawler.spider)
        self.source_name = info.name
        self.source_id = self.store.source_id(info)

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        assert self.source_id is not None
        if self.store.queue(article_row(item, self.source_id)):
            try:
                await self._flush()
            except StoreError as exc:  # the records are back in the queue: the flush at close tries again
                self.crawler.stats.inc_value("monitor/store_retries_failed")
                self.logger.error("%s; they stay pending", exc)
        return item

    async def close_spider(self) -> None:
        try:
            await self._flush()
        except StoreError as exc:
            # Not stored, so not seen: the next run fetches these URLs again.
            self.crawler.stats.inc_value("monitor/errors/store_failed", exc.count)
            self.crawler.stats.inc_value("monitor/errors/count", exc.count)
            self.logger.error("%s; the next run fetches them again", exc)

    async def _flush(self) -> None:
        """Write what is pending in a thread; listeners hear of it back on the reactor thread.

        Writes of the process's crawlers queue on one lock, so a spider that
        closes waits for earlier batches (and their counts) as well as its own.
        """
        await maybe_deferred_to_future(self.write_lock.acquire())
        try:
            result = await maybe_deferred_to_future(deferToThread(self.store.write, self.store.take()))
            self.store.notify(result)
        finally:
            self.write_lock.release()

    def _count(self, result: FlushResult) -> None:
        """Count this source's share of a flush (a flush may carry other crawlers' rows)."""
        mine = result.by_source.get(self.source_name, 0)
        if not mine:
            return
        stats = self.crawler.stats
        stats.inc_value("monitor/stored", mine)
