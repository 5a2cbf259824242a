"""Extract stage: title, authors, date, body and declared language from the page."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from monitor.items import ArticleItem
from monitor.enrich import EmptyArticleError, apply_extraction


class ExtractPipeline:
    """Adapter over ``monitor.enrich.apply_extraction`` (trafilatura plus metadata readers)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ExtractPipeline":
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        source = getattr(self.crawler.spider, "source", None)
        try:
            apply_extraction(item, source.article_selectors() if source else None)
        except EmptyArticleError as exc:
            self.crawler.stats.inc_value("monitor/dropped/empty_extraction")
            raise DropItem(f"{item.url}: {exc}", log_level="WARNING") from exc
        stats = self.crawler.stats
        stats.inc_value("monitor/extracted")
        if item.published is None:
            stats.inc_value("monitor/missing/published")
        if not item.authors:
            stats.inc_value("monitor/missing/authors")
        if not item.title:
            stats.inc_value("monitor/missing/title")
        return item
