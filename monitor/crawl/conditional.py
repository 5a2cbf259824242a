"""Downloader middleware: conditional GETs for feeds, sitemaps, listing pages and API pages.

Requests marked ``monitor_listing`` carry ``If-None-Match`` / ``If-Modified-Since``
from the validators stored for their URL; a 304 ends the request (stat
``monitor/not_modified``) so an unchanged feed costs one small response. New
validators are saved only when the run finishes cleanly: a crash or an error
mid-run leaves the old ones, so the next run fetches the listing again and picks
up the articles this run missed. ``MONITOR_BACKFILL`` turns the middleware off.
"""

from __future__ import annotations

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from monitor.catalogue.state import save_validators, validators_for
from monitor.crawl.failures import SkipRequest
from monitor.crawl.storage import store_for

LISTING_META = "monitor_listing"


class ConditionalGetMiddleware:
    """Sends stored validators with listing requests and records the new ones."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pending: dict[str, tuple[str | None, str | None]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ConditionalGetMiddleware":
        if not crawler.settings.getbool("MONITOR_CONDITIONAL_GET", True):
            raise NotConfigured("MONITOR_CONDITIONAL_GET is off")
        if crawler.settings.getbool("MONITOR_BACKFILL", False):
            raise NotConfigured("backfill: listings are fetched in full")
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request) -> None:
        if not request.meta.get(LISTING_META) or "If-None-Match" in request.headers:
            return None
        stored = validators_for(store_for(self.crawler).engine, request.url)
        if stored:
            etag, modified = stored
            if etag:
                request.headers["If-None-Match"] = etag
            if modified:
                request.headers["If-Modified-Since"] = modified
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get(LISTING_META):
            return response
        if response.status == 304:
            self.crawler.stats.inc_value("monitor/not_modified")
            raise SkipRequest(f"not modified: {request.url}")
        if response.status == 200:
            etag = response.headers.get("ETag")
            modified = response.headers.get("Last-Modified")
            if etag or modified:
                self.pending[request.url] = (etag.decode("latin-1") if etag else None,
                                             modified.decode("latin-1") if modified else None)
        return response

    def spider_closed(self, spider: object, reason: str) -> None:
        stats = self.crawler.stats
        if reason != "finished" or stats.get_value("log_count/ERROR", 0) or stats.get_value("spider_exceptions/count", 0):
            return
        source = getattr(getattr(spider, "source", None), "name", getattr(spider, "name", "?"))
        saved = save_validators(store_for(self.crawler).engine, source,
                                ((url, etag, modified) for url, (etag, modified) in self.pending.items()))
        stats.set_value("monitor/validators_saved", saved)
