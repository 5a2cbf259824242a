"""Downloader middleware: never download an article that is already stored.

Checked before the request leaves, against the database (and the pending batch),
so it holds across runs and processes. Feeds and listings are always fetched;
only requests marked as articles are checked.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitor.crawl.failures import SkipRequest
from monitor.crawl.storage import store_for
from monitor.urls import InvalidURLError, canonicalize_url
from spiders.base import ARTICLE_META


class SeenArticleMiddleware:
    """Drops article requests whose canonical URL is already known."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SeenArticleMiddleware":
        if not crawler.settings.getbool("MONITOR_SKIP_SEEN", True):
            raise NotConfigured  # turned off on purpose (`monitor fetch`): no "Disabled" warning
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not request.meta.get(ARTICLE_META) or request.meta.get("monitor_refetch"):
            return None
        try:
            key = canonicalize_url(request.url)
        except InvalidURLError:
            return None
        if store_for(self.crawler).is_known_url(key):
            self.crawler.stats.inc_value("monitor/articles_seen_skipped")
            raise SkipRequest(f"already stored: {request.url}")
        self.crawler.stats.inc_value("monitor/article_requests")
        return None
