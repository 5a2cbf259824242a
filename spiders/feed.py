"""RSS/Atom feed spider: reads each start URL as a feed and follows its entries, newest first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response

from monitor.crawl.failures import count_error
from monitor.feeds import FeedError, parse_feed
from spiders.base import SourceSpider


class FeedSpider(SourceSpider):
    """Follows feed entries to article pages, newest first.

    A feed holds only its latest entries, so a backfill cannot reach further back
    through it; sources that need history should (also) have a sitemap or
    WordPress entry.
    """

    kind = "feed"
    name = "feed"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            yield self.listing_request(url, self.parse_feed)

    async def parse_feed(self, response: Response) -> AsyncIterator[scrapy.Request]:
        """Parse off the reactor (in an extract worker, or a thread with the pool off): a feed of 10,000
        entries takes seconds, and the reactor must keep serving every other download."""
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        try:
            feed = await self.off_reactor(parse_feed, response.body, response.url, content_type=content_type)
        except FeedError as exc:
            self.crawler.stats.inc_value("monitor/feed_errors")
            count_error(self.crawler, "feed_invalid")
            self.logger.error("failed %s: feed_invalid (%s)", response.url, exc)
            return
        self.crawler.stats.inc_value("monitor/feed_entries", len(feed.entries))
        if not self.links_shown(response, (entry.url for entry in feed.entries)):
            self.crawler.stats.inc_value("monitor/listing_empty")
            self.logger.warning("no article links in feed %s: %s", response.url,
                                self.why_no_links(len(feed.entries), "is it still the outlet's feed?"))
        entries = [entry for entry in feed.entries if not (self.backfill and self.is_older(entry.published))]
        for request in self.article_requests(entries, declared_language=feed.language, listing_url=response.url):
            yield request
