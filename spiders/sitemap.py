"""Sitemap spider: sitemap indexes, gzipped sitemaps, Google News sitemaps, discovery from robots.txt.

A start URL ending in ``robots.txt`` is read for its ``Sitemap:`` lines; any
other start URL is a sitemap or sitemap index. Child sitemaps and URLs whose
date is before ``crawl_since`` are skipped (an index of monthly archives costs
one request per run); without a known date limit a routine crawl follows the
newest ``max_pages`` child sitemaps and the newest ``MONITOR_SITEMAP_MAX_URLS``
URLs. The entry's ``url_pattern`` picks articles out of sitemaps that also list
tag pages, authors and the like. One child sitemap without a matching URL is
normal (a sitemap of tag pages); a run whose sitemaps gave no article link at
all is warned about once, at the end, like an empty listing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.utils.sitemap import sitemap_urls_from_robots

from monitor.crawl.failures import count_error
from monitor.feeds import FeedEntry
from monitor.sitemaps import SitemapError, parse_sitemap
from spiders.base import SourceSpider

DEFAULT_MAX_URLS = 200


class SitemapSpider(SourceSpider):
    """Follows sitemap entries to article pages, newest first."""

    kind = "sitemap"
    name = "sitemap"
    urlsets_read = 0  # sitemaps of URLs (not indexes) read this run
    links_wanted = 0  # ... and the article links they gave (before date limits)

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            callback = self.parse_robots if url.rstrip("/").endswith("robots.txt") else self.parse_sitemap
            yield self.listing_request(url, callback)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        found = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        if not found:
            self.crawler.stats.inc_value("monitor/sitemap_errors")
            count_error(self.crawler, "sitemap_invalid")
            self.logger.error("no Sitemap: line in %s", response.url)
        for url in found:
            yield self.listing_request(url, self.parse_sitemap)

    async def parse_sitemap(self, response: Response) -> AsyncIterator[scrapy.Request]:
        """Parse off the reactor, like feeds: a sitemap may list 50,000 URLs (~0.7 s of parsing)."""
        try:
            sitemap = await self.off_reactor(parse_sitemap, response.body, response.url)
        except SitemapError as exc:
            self.crawler.stats.inc_value("monitor/sitemap_errors")
            count_error(self.crawler, "sitemap_invalid")
            self.logger.error("sitemap error: %s", exc)
            return
        fresh = [e for e in sitemap.entries if not self.is_older(e.date)]
        if sitemap.kind == "sitemapindex":
            limit = None if self.crawl_since is not None else self.max_pages()
            for entry in fresh[:limit]:
                yield self.listing_request(entry.loc, self.parse_sitemap)
            return
        self.crawler.stats.inc_value("monitor/sitemap_urls", len(sitemap.entries))
        self.urlsets_read += 1
        self.links_wanted += self.links_shown(response, (entry.loc for entry in sitemap.entries))
        if self.crawl_since is None and not self.backfill:
            fresh = fresh[: self.crawler.settings.getint("MONITOR_SITEMAP_MAX_URLS", DEFAULT_MAX_URLS)]
        entries = [FeedEntry(url=e.loc, title=e.title, published=e.published) for e in fresh]
        language = next((e.language for e in fresh if e.language), None)
        for request in self.article_requests(entries, declared_language=language, listing_url=response.url):
            yield request

    def closed(self, reason: str) -> None:
        """At the end of a run whose sitemaps were read: warn when they gave no article link at all."""
        if reason != "finished" or not self.urlsets_read or self.links_wanted:
            return
        self.crawler.stats.inc_value("monitor/listing_empty")
        shown = int(self.crawler.stats.get_value("monitor/sitemap_urls", 0) or 0)
        self.logger.warning("no article links in the sitemaps of %s (%s): %s", self.source.name,
                            ", ".join(self.source.start_urls),
                            self.why_no_links(shown, "are they still the outlet's sitemaps?"))
