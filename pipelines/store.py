"""Store stage: batched, idempotent upserts; the last batch is flushed when the spider closes."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitor.crawl.storage import source_info, store_for
from monitor.db.store import ArticleStore, FlushResult
from monitor.items import ArticleItem
from monitor.records import article_row


class StorePipeline:
    """Adapter over ``monitor.db.store.ArticleStore``."""

    def __init__(self, crawler: Crawler, store: ArticleStore) -> None:
        self.crawler = crawler
        self.store = store
        self.source_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        if not crawler.settings.getbool("MONITOR_STORE", True):
            raise NotConfigured("MONITOR_STORE is off (dry run)")
        return cls(crawler, store_for(crawler))

    def open_spider(self) -> None:
        self.source_id = self.store.source_id(source_info(self.crawler.spider))

    def process_item(self, item: ArticleItem) -> ArticleItem:
        assert self.source_id is not None
        self._count(self.store.add(article_row(item, self.source_id)))
        return item

    def close_spider(self) -> None:
        self._count(self.store.flush())

    def _count(self, result: FlushResult | None) -> None:
        if result is None:
            return
        self.crawler.stats.inc_value("monitor/stored", result.stored)
        if result.skipped:
            self.crawler.stats.inc_value("monitor/store_conflicts", result.skipped)
        self.crawler.stats.inc_value("monitor/batches")
