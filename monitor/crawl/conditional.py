"""Downloader middleware: conditional GETs for feeds, sitemaps, listing pages and API pages.

Requests marked ``monitor_listing`` carry ``If-None-Match`` / ``If-Modified-Since``
from the validators stored for their URL; a 304 ends the request (stat
``monitor/not_modified``) so an unchanged feed costs one small response.

Validators belong to a source and to one version of its catalogue entry
(``monitor.catalogue.state.validator_key``): a new source on a URL another
source crawls, or an entry whose selector or ``url_pattern`` was just fixed,
fetches its listings in full. New validators are saved only when the run
finishes cleanly and found what it was looking for: a crash or an error mid-run
leaves the old ones, so the next run fetches the listing again and picks up the
articles this run missed; a listing the spider read but found no article link
in (``LINKS_META`` = 0: a broken selector, a pattern that matches nothing) is
not remembered, and nothing is when the whole run found no link, so a fix is
never answered "304 Not Modified". ``MONITOR_BACKFILL`` turns the middleware off.

A distributed crawl (``MONITOR_DISTRIBUTED_ROLE``: seed or worker) turns it off
too: a worker takes its requests out of Redis, so one killed mid-crawl (SIGKILL,
the OOM killer) loses the articles it had taken, while the worker that read the
feed closes cleanly and would save its validators; every later seed would then
get 304 for the feed, and the lost articles would not be asked for until the
feed changes. Without validators each seed reads the feed in full and requests
every article not yet stored (the seen-URL middleware skips the stored ones).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from monitor.catalogue.state import save_validators, validators_for
from monitor.crawl.failures import LISTING_META, SkipRequest
from monitor.crawl.verdict import run_errors
from monitor.crawl.storage import store_for

DISTRIBUTED_ROLE = "MONITOR_DISTRIBUTED_ROLE"  # monitor.distributed.scheduler.ROLE_SETTING (no scrapy_redis import)
LINKS_META = "monitor_links"  # set by the spider on a listing it read: how many article links it showed


class ConditionalGetMiddleware:
    """Sends stored validators with listing requests and records the new ones."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        # url -> (etag, last_modified, the request's meta, where the spider notes LINKS_META)
        self.pending: dict[str, tuple[str | None, str | None, dict[str, Any]]] = {}
        self._owner: tuple[str, str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ConditionalGetMiddleware":
        if not crawler.settings.getbool("MONITOR_CONDITIONAL_GET", True):
            raise NotConfigured  # MONITOR_CONDITIONAL_GET is off (on purpose: no warning)
        if crawler.settings.getbool("MONITOR_BACKFILL", False):
            raise NotConfigured  # backfill: listings are fetched in full (on purpose: no warning)
        if crawler.settings.get(DISTRIBUTED_ROLE):
            raise NotConfigured  # distributed: a dead worker's taken articles must be listed again (docstring)
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def owner(self) -> tuple[str, str]:
        """``(source name, entry fingerprint)`` this crawl's validators are stored under."""
        if self._owner is None:
            spider = self.crawler.spider
            source = getattr(spider, "source", None)
            self._owner = ((source.name, source.fingerprint()) if source is not None
                           else (getattr(spider, "name", "?"), ""))
        return self._owner

    def process_request(self, request: Request) -> None:
        if not request.meta.get(LISTING_META) or "If-None-Match" in request.headers:
            return None
        source, fingerprint = self.owner()
        stored = validators_for(store_for(self.crawler).engine, source, request.url, fingerprint)
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
                                             modified.decode("latin-1") if modified else None, request.meta)
        return response

    def spider_closed(self, spider: object, reason: str) -> None:
        stats = self.crawler.stats
        if reason != "finished" or run_errors(stats.get_stats() or {}):
            return
        links = [meta.get(LINKS_META) for _, _, meta in self.pending.values()]
        if 0 in links and not any(links):  # every listing the spider counted showed no article link
            stats.set_value("monitor/validators_withheld", len(self.pending))
            return
        keep = [(url, etag, modified) for url, (etag, modified, meta) in self.pending.items()
                if meta.get(LINKS_META) != 0]
        if len(keep) < len(self.pending):
            stats.set_value("monitor/validators_withheld", len(self.pending) - len(keep))
        source, fingerprint = self.owner()
        saved = save_validators(store_for(self.crawler).engine, source, keep, fingerprint)
        stats.set_value("monitor/validators_saved", saved)
