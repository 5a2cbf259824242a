"""Dedupe stage: drop exact duplicates (same canonical URL or same normalized text)."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from monitor.crawl.storage import store_for
from monitor.enrich import apply_fingerprint
from monitor.items import ArticleItem


class DedupePipeline:
    """Adapter over ``monitor.dedupe`` and the store's duplicate checks; counts what it drops."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DedupePipeline":
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        apply_fingerprint(item)
        assert item.canonical_url and item.content_hash  # set by normalize and just now
        duplicate = store_for(self.crawler).exact_duplicate(item.canonical_url, item.content_hash)
        if duplicate:
            reason, original_id = duplicate
            item.duplicate_of = original_id
            self.crawler.stats.inc_value(f"monitor/duplicates/{reason}")
            raise DropItem(f"{item.url}: exact duplicate by {reason} of article {original_id}", log_level="INFO")
        return item
