"""Dedupe stage: drop exact duplicates, spot revisions, and put new articles into stories."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from monitor.crawl.storage import store_for
from monitor.dedupe.stories import resolver_for
from monitor.enrich import DuplicateArticleError, apply_dedupe
from monitor.items import ArticleItem


class DedupePipeline:
    """Adapter over ``monitor.enrich.apply_dedupe``; counts what it finds."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store = store_for(crawler)
        self.stories = resolver_for(self.store.engine, crawler.settings.getint("MONITOR_STORY_INDEX_SIZE") or None)
        self.dry_run = not crawler.settings.getbool("MONITOR_STORE", True)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DedupePipeline":
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> ArticleItem:
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
