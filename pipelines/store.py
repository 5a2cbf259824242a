"""Store stage: batched, idempotent upserts; pending rows are flushed when a spider closes."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitor.crawl.storage import source_info, store_for
from monitor.db.store import ArticleStore, FlushResult, StoreError
from monitor.items import ArticleItem
from monitor.records import article_row


class StorePipeline:
    """Adapter over ``monitor.db.store.ArticleStore`` (shared by all crawlers of the process)."""

    def __init__(self, crawler: Crawler, store: ArticleStore) -> None:
        self.crawler = crawler
        self.store = store
        self.source_id: int | None = None
        self.source_name = ""
        self.logger = logging.getLogger("monitor.store")
        store.on_flush(self._count)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        if not crawler.settings.getbool("MONITOR_STORE", True):
            raise NotConfigured("MONITOR_STORE is off (dry run)")
        return cls(crawler, store_for(crawler))

    def open_spider(self) -> None:
        info = source_info(self.crawler.spider)
        self.source_name = info.name
        self.source_id = self.store.source_id(info)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        assert self.source_id is not None
        try:
            self.store.add(article_row(item, self.source_id))
        except StoreError as exc:  # the records stay pending: the flush at close tries them again
            self.crawler.stats.inc_value("monitor/store_retries_failed")
            self.logger.error("%s; they stay pending", exc)
        return item

    def close_spider(self) -> None:
        try:
            self.store.flush()
        except StoreError as exc:
            # Not stored, so not seen: the next run fetches these URLs again.
            self.crawler.stats.inc_value("monitor/errors/store_failed", exc.count)
            self.crawler.stats.inc_value("monitor/errors/count", exc.count)
            self.logger.error("%s; the next run fetches them again", exc)

    def _count(self, result: FlushResult) -> None:
        """Count this source's share of a flush (a flush may carry other crawlers' rows)."""
        mine = result.by_source.get(self.source_name, 0)
        if not mine:
            return
        stats = self.crawler.stats
        stats.inc_value("monitor/stored", mine)
