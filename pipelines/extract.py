"""Extract stage: everything CPU-heavy about a page, in one call, off the reactor when configured.

Runs ``monitor.enrich.analyse_article`` (extraction, content hash and
near-duplicate signature, language, topics) in a worker process of the
``MONITOR_PROCESS_POOL`` pool, or in this process when the setting is 0; the
same function either way, so both paths give the same record.
"""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from dataclasses import fields

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from monitor.crawl.pool import pools_replaced, run_in_pool
from monitor.crawl.pool_size import crawl_pool_size
from monitor.enrich import EmptyArticleError, analyse_article
from monitor.items import ArticleItem

ITEM_FIELDS = tuple(f.name for f in fields(ArticleItem))


class ExtractPipeline:
    """Adapter over ``monitor.enrich.analyse_article``; counts what extraction, language and topics found."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.workers = crawl_pool_size(crawler)
        crawler.stats.set_value("monitor/pool/workers", self.workers)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ExtractPipeline":
        return cls(crawler)

    def close_spider(self) -> None:
        self.crawler.stats.set_value("monitor/pool/replaced", pools_replaced())

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        source = getattr(self.crawler.spider, "source", None)
        selectors = source.article_selectors() if source else None
        try:
            analysed = await run_in_pool(self.workers, analyse_article, item, selectors)
        except EmptyArticleError as exc:
            self.crawler.stats.inc_value("monitor/dropped/empty_extraction")
            raise DropItem(f"{item.url}: {exc}", log_level="WARNING") from exc
        except BrokenProcessPool as exc:
            self.crawler.stats.inc_value("monitor/dropped/worker_died")
            raise DropItem(f"{item.url}: the extract worker died twice while this page was being analysed "
                           "(a parser crash or the OOM killer); not stored, the next crawl tries it again",
                           log_level="ERROR") from exc
        if analysed is not item:  # a worker's copy: keep the item other components hold
            for name in ITEM_FIELDS:
                setattr(item, name, getattr(analysed, name))
        self._count(item)
        return item

    def _count(self, item: ArticleItem) -> None:
        stats = self.crawler.stats
        stats.inc_value("monitor/extracted")
        if item.published is None:
            stats.inc_value("monitor/missing/published")
        if not item.authors:
            stats.inc_value("monitor/missing/authors")
        if not item.title:
            stats.inc_value("monitor/missing/title")
        stats.inc_value(f"monitor/language/{item.language}")
        if item.language_disagrees:
            stats.inc_value("monitor/language/disagrees_with_declared")
        for topic in item.topics:
            stats.inc_value(f"monitor/topics/{topic['id']}")
