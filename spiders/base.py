"""The base of every source spider: how an article page becomes an ``ArticleItem``.

Kind spiders (feed, sitemap, wordpress, listing) only discover article URLs;
they hand each one to ``article_request`` and this class turns the response into
an item. Site modules subclass a kind spider and override discovery, never the
item shape. Listing requests (feeds, sitemaps, listing and API pages) go through
``listing_request`` so they get conditional GETs; ``crawl_since`` says how far
back this run needs to look (the newest stored article, or ``--since`` in a
backfill).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any, ClassVar, TypeVar

import scrapy
from scrapy.http import Response
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from twisted.python.failure import Failure

from monitor.catalogue import Source
from monitor.crawl.bodies import body_problem, page_text
from monitor.crawl.conditional import LINKS_META
from monitor.crawl.failures import LISTING_META, record_failure, record_page_problem
from monitor.crawl.pool import run_off_reactor
from monitor.crawl.pool_size import crawl_pool_size
from monitor.dates import parse_datetime
from monitor.extract.encoding import decode_html
from monitor.extract.pdf import is_pdf, pdf_to_html
from monitor.feeds import FeedEntry
from monitor.items import ArticleItem

T = TypeVar("T")

ARTICLE_META = "monitor_article"
ROUTINE_MARGIN = timedelta(days=1)
# Downloader middlewares every source spider needs (settings.py may list them itself, with other orders).
SOURCE_MIDDLEWARES = {
    "monitor.crawl.retry_after.RetryAfterMiddleware": 560,  # before RetryMiddleware (550) sees the response
    "monitor.crawl.conditional.ConditionalGetMiddleware": 580,
    "monitor.crawl.failures.RedirectLoopMiddleware": 610,  # sees a 3xx before RedirectMiddleware (600)
}
MAX_ARTICLES_PER_LISTING = 1000  # article links followed from one feed, sitemap or listing page per run
LISTING_PRIORITY = 100  # listings before articles: discover first, then fetch newest first
# Articles are ranked newest first in buckets of this many: the scheduler keeps one queue (one open file, on
# disk, two for FIFO) per priority: one priority per article would open files by the thousand. FIFO within one.
RANK_BUCKET = 250


class SourceSpider(scrapy.Spider):
    """A spider bound to one catalogue entry (``source``)."""

    kind: ClassVar[str] = ""
    source: ClassVar[Source]

    @classmethod
    def for_source(cls, source: Source) -> type["SourceSpider"]:
        """A subclass named after ``source``, with its politeness overrides applied."""
        attrs: dict[str, Any] = {"name": source.name, "source": source, "__module__": cls.__module__}
        settings: dict[str, Any] = {}
        if "download_delay" in source.politeness:
            attrs["download_delay"] = float(source.politeness["download_delay"])
        if "concurrency" in source.politeness:
            settings["CONCURRENT_REQUESTS_PER_DOMAIN"] = int(source.politeness["concurrency"])
            settings["CONCURRENT_REQUESTS"] = max(4, int(source.politeness["concurrency"]))  # the per-crawler cap
        if settings:
            attrs["custom_settings"] = settings
        return type(f"{cls.__name__}_{source.name.replace('-', '_')}", (cls,), attrs)

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Add the source middlewares (conditional GET, Retry-After) unless the settings already order them.

        Set at spider priority: ``CrawlerRunner.crawl(crawler)`` re-applies the
        project settings to a crawler, which would drop a project-priority change.
        """
        super().update_settings(settings)
        middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
        known = {key if isinstance(key, str) else f"{key.__module__}.{key.__qualname__}" for key in middlewares}
        missing = {path: order for path, order in SOURCE_MIDDLEWARES.items() if path not in known}
        if missing:
            priority = max(settings.getpriority("DOWNLOADER_MIDDLEWARES") or 0, SETTINGS_PRIORITIES["spider"])
            settings.set("DOWNLOADER_MIDDLEWARES", {**middlewares, **missing}, priority=priority)

    # --- what this run is after ------------------------------------------------------
    @property
    def backfill(self) -> bool:
        """True in ``monitor crawl --backfill``: ignore validators, page back to ``MONITOR_SINCE``."""
        return self.crawler.settings.getbool("MONITOR_BACKFILL", False)

    @cached_property
    def crawl_since(self) -> datetime | None:
        """Articles older than this are already stored (or not wanted); None: no limit known."""
        if self.backfill:
            return parse_datetime(self.crawler.settings.get("MONITOR_SINCE"))
        from monitor.catalogue.state import newest_published
        from monitor.crawl.storage import store_for

        newest = newest_published(store_for(self.crawler).engine, self.source.name)
        # a margin: outlets backdate, and an article that failed last time should get another chance
        return newest - ROUTINE_MARGIN if newest else None

    def max_pages(self) -> int:
        """How many pages of a listing or API to follow: the entry's ``max_pages``, unbounded in a backfill."""
        return 10_000 if self.backfill else self.source.max_pages

    def is_older(self, published: datetime | None) -> bool:
        """True when ``published`` is before ``crawl_since`` (a listing can stop paging there)."""
        return published is not None and self.crawl_since is not None and published < self.crawl_since

    def wants_url(self, url: str) -> bool:
        """True when ``url`` may be an article of this source (its ``url_pattern``, if any)."""
        return self.source.url_pattern is None or re.search(self.source.url_pattern, url) is not None

    # --- requests --------------------------------------------------------------------
    def listing_request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        """A request for a feed, sitemap, listing or API page: conditional GET, fetched before articles."""
        return scrapy.Request(url, callback=callback, errback=self.request_failed, priority=LISTING_PRIORITY,
                              meta={LISTING_META: True, **meta})

    def article_request(self, url: str, *, entry: FeedEntry | None = None, priority: int = 0,
                        declared_language: str | None = None) -> scrapy.Request:
        """A request for one article page; the seen-URL middleware may skip it."""
        self.crawler.stats.inc_value("monitor/listed")
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.request_failed, priority=priority,
            meta={ARTICLE_META: True, "feed_entry": entry, "declared_language": declared_language},
        )

    def article_requests(self, entries: list[FeedEntry], declared_language: str | None = None,
                         listing_url: str | None = None) -> Iterator[scrapy.Request]:
        """Requests for ``entries``, newest first (by the listing's date), skipping unwanted URLs.

        Made one at a time as Scrapy takes them, so a listing of thousands of links never
        holds thousands of requests at once (each goes on to the disk queue and is freed).

        At most ``MONITOR_MAX_ARTICLES_PER_LISTING`` new links are followed per listing
        (stat ``monitor/limits/articles_per_listing``): a feed of 10,000 entries is
        worked through over several runs instead of in one.
        """
        oldest = datetime.min.replace(tzinfo=timezone.utc)
        wanted = [entry for entry in entries if self.wants_url(entry.url)]
        wanted.sort(key=lambda e: e.published or oldest, reverse=True)
        cap = self.crawler.settings.getint("MONITOR_MAX_ARTICLES_PER_LISTING", MAX_ARTICLES_PER_LISTING)
        if len(wanted) > cap:
            # A listing with thousands of links: take the newest unstored ones, the next run takes more.
            wanted = [entry for entry in wanted if not self._is_stored(entry.url)]
            if len(wanted) > cap:
                self.crawler.stats.inc_value("monitor/limits/articles_per_listing")
                self.logger.warning("limited %s: %d new article links, following the newest %d "
                                    "(MONITOR_MAX_ARTICLES_PER_LISTING)", listing_url or self.source.name, len(wanted), cap)
                wanted = wanted[:cap]
        for rank, entry in enumerate(wanted):
            yield self.article_request(entry.url, entry=entry, priority=-(rank // RANK_BUCKET),
                                       declared_language=declared_language)

    def links_shown(self, response: Response, urls: Iterable[str]) -> int:
        """How many of ``urls`` (a feed's, sitemap's or listing page's links, before any date filter)
        this source wants; noted on the response for ``monitor.crawl.conditional``.

        Zero (no links, or none matching ``url_pattern``) keeps the page's validators
        from being saved, so once the entry is fixed the next run reads the page
        instead of being answered 304 Not Modified.
        """
        urls = list(urls)
        wanted = len(urls) if self.source.url_pattern is None else sum(1 for url in urls if self.wants_url(url))
        response.meta[LINKS_META] = wanted
        return wanted

    def why_no_links(self, shown: int, otherwise: str) -> str:
        """Why a listing that showed ``shown`` links gave this source none, and what to check."""
        if shown:
            return (f"none of its {shown} links matches url_pattern {self.source.url_pattern!r}: "
                    "does the pattern still match?")
        return f"it lists no links: {otherwise}"

    @cached_property
    def extract_workers(self) -> int:
        """Worker processes of this crawl's pool (``MONITOR_PROCESS_POOL``); 0: none."""
        return crawl_pool_size(self.crawler)

    async def off_reactor(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` in an extract worker (a thread with the pool off): for parsing
        that can take longer than the reactor may be held (big listings, PDFs, charset sniffing)."""
        return await run_off_reactor(self.extract_workers, function, *args, **kwargs)

    def request_failed(self, failure: Failure) -> None:
        """Errback of every listing and article request: ``monitor/errors/<reason>`` and one log line."""
        record_failure(self.crawler, self.logger, failure)

    def _is_stored(self, url: str) -> bool:
        from monitor.crawl.storage import store_for
        from monitor.urls import InvalidURLError, canonicalize_url

        try:
            return store_for(self.crawler).is_known_url(canonicalize_url(url))
        except InvalidURLError:
            return False

    # --- articles --------------------------------------------------------------------
    async def parse_article(self, response: Response) -> AsyncIterator[ArticleItem]:
        """Turn an article response (HTML page or PDF document) into an ``ArticleItem``.

        A PDF (official press releases) is read by ``monitor.extract.pdf`` into a
        minimal HTML page, so the pipeline treats it like any article page;
        ``http_headers["Content-Type"]`` still says ``application/pdf``. Reading a
        PDF and sniffing a lying charset run off the reactor, like extraction.
        """
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        if is_pdf(response.body, content_type):
            try:
                body: str | bytes = await self.off_reactor(pdf_to_html, response.body, response.url)
            except ValueError as exc:
                self.crawler.stats.inc_value("monitor/pdf_errors")
                self.logger.warning("skipped %s: %s", response.url, exc)
                return
            content_type = "application/pdf"
            self.crawler.stats.inc_value("monitor/pdf_documents")
        else:
            problem = body_problem(response.body)
            if problem:
                record_page_problem(self.crawler, self.logger, response.url, *problem)
                return
            text, repair = await page_text(response, sniff=lambda data: self.off_reactor(decode_html, data))
            if text is None:
                record_page_problem(self.crawler, self.logger, response.url, "not_html",
                                    f"Content-Type {content_type or 'missing'} and the body is not HTML")
                return
            if repair:
                self.crawler.stats.inc_value(f"monitor/repaired/{repair}")
                self.logger.warning("repaired %s: %s (declared %s did not fit the bytes)", response.url,
                                    repair, content_type or "nothing")
            body = text
        entry: FeedEntry | None = response.meta.get("feed_entry")
        declared = [response.meta["declared_language"]] if response.meta.get("declared_language") else []
        headers = {"Content-Type": content_type} if content_type else {}
        yield ArticleItem(
            url=response.url,
            source=self.source.name,
            html=body,
            fetched=datetime.now(timezone.utc),
            guid=entry.guid if entry else None,
            feed_title=entry.title if entry else None,
            feed_published=entry.published if entry else None,
            feed_authors=list(entry.authors) if entry else [],
            declared_languages=declared + list(self.source.languages),
            http_headers=headers,
        )
