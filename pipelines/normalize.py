"""Normalize stage: canonical URL, feed dates in UTC, required fields present."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from monitor.items import ArticleItem
from monitor.normalize import MissingFieldError, normalize_item


class NormalizePipeline:
    """Adapter over ``monitor.normalize.normalize_item``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "NormalizePipeline":
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        try:
            return normalize_item(item)
        except MissingFieldError as exc:
            self.crawler.stats.inc_value("monitor/dropped/invalid")
            raise DropItem(f"invalid item from {item.url!r}: {exc}") from exc
