"""RSS/Atom feed spider: reads each start URL as a feed and follows its entries."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from monitor.feeds import FeedError, parse_feed
from spiders.base import SourceSpider


class FeedSpider(SourceSpider):
    """Follows feed entries to article pages, newest first."""

    kind = "feed"
    name = "feed"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            yield scrapy.Request(url, callback=self.parse_feed, meta={"monitor_listing": True})

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        try:
            feed = parse_feed(response.body, response.url, content_type=content_type)
        except FeedError as exc:
            self.crawler.stats.inc_value("monitor/feed_errors")
            self.logger.error("feed error at %s: %s", response.url, exc)
            return
        self.crawler.stats.inc_value("monitor/feed_entries", len(feed.entries))
        for rank, entry in enumerate(feed.entries):
            yield self.article_request(entry.url, entry=entry, priority=-rank, declared_language=feed.language)
