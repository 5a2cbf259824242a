"""Language stage: detected language and confidence, with the declared language as a prior."""

from __future__ import annotations

from scrapy.crawler import Crawler

from monitor.enrich import apply_language
from monitor.items import ArticleItem


class LanguagePipeline:
    """Adapter over ``monitor.language.detect_language``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "LanguagePipeline":
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        apply_language(item)
        self.crawler.stats.inc_value(f"monitor/language/{item.language}")
        if item.language_disagrees:
            self.crawler.stats.inc_value("monitor/language/disagrees_with_declared")
        return item
