"""One page through the whole pipeline, as ``monitor fetch`` does it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from sqlalchemy import select

from monitor.crawl.runner import run_crawlers
from monitor.crawl.storage import engine_for
from monitor.db.models import Article
from monitor.items import ArticleItem
from monitor.records import item_record
from monitor.urls import InvalidURLError, canonicalize_url
from spiders.page import PageSpider, source_for_url


class FetchError(RuntimeError):
    """The page could not be fetched or yielded no article."""


# Twisted's wording of the common network failures, and what the one-line error says instead.
SHORT_REASONS = (
    ("Connection was refused by other side", "connection refused"),
    ("DNS lookup failed", "DNS lookup failed"),
    ("TCP connection timed out", "timed out"),
    ("User timeout caused connection failure", "timed out"),
    ("Connection to the other side was lost", "connection lost"),
)
# Log records the final error line says again: the retry and robots.txt middlewares' give-ups (a robots.txt
# that cannot be fetched is retried and logged before the page is), the page spider's own "fetch failed"
# and the scraper's "Dropped:" warning (with the whole item).  ``-v`` shows them.
REPEATED_LOGGERS = ("scrapy.downloadermiddlewares.retry", "scrapy.downloadermiddlewares.robotstxt")
FETCH_FAILED_MSG = "fetch failed: %s: %s"  # spiders.page.PageSpider.fetch_failed


class _RepeatedInTheError(logging.Filter):
    """Drops the log records (``REPEATED_LOGGERS`` ...) whose news the one-line error repeats."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in REPEATED_LOGGERS or record.msg == FETCH_FAILED_MSG:
            return False
        return not (record.name == "scrapy.core.scraper" and str(record.msg).startswith("Dropped:"))


@contextmanager
def _quiet_repeats(log_level: str | int) -> Iterator[None]:
    """At the default verbosity (WARNING or quieter), keep the records the error repeats out of stderr.

    Why: a 404 printed a Scrapy ERROR line, then the same failure as the error; a refused connection
    printed four lines (robots.txt and the page, each retried) before it.
    """
    level = log_level if isinstance(log_level, int) else logging.getLevelName(str(log_level).upper())
    handlers = list(logging.root.handlers) if isinstance(level, int) and level >= logging.WARNING else []
    quiet = _RepeatedInTheError()
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


def _same_page(a: str, b: str) -> bool:
    try:
        return a == b or canonicalize_url(a) == canonicalize_url(b)
    except InvalidURLError:
        return False


def _reason(problem: str, url: str) -> str:
    """One failure (``PageSpider.failures``: "URL: reason") as the error says it: without the URL when it
    is ``url`` (the message names it once; a redirect's target stays), a network failure in a few words."""
    where, sep, reason = problem.partition(": ")
    if not sep or not where.lower().startswith(("http://", "https://")):  # no URL in front
        where, reason = "", problem
    elif _same_page(where, url):
        where = ""
    for long, short in SHORT_REASONS:
        if reason.startswith(long):
            reason = short
            break
    return f"{where}: {reason}" if where else reason


@dataclass
class _Collector:
    """Keeps what the pipeline produced (or dropped, and why)."""

    items: list[tuple[ArticleItem, str | None]] = field(default_factory=list)

    def scraped(self, item: ArticleItem, **_: Any) -> None:
        self.items.append((item, None))

    def dropped(self, item: ArticleItem, exception: BaseException, **_: Any) -> None:
        self.items.append((item, str(exception)))


def _without_run_recorder() -> dict[str, Any]:
    """The project's extensions minus the crawl-run recorder (overriding EXTENSIONS replaces the dict)."""
    from monitor.crawl.runner import project_settings

    return {**project_settings().getdict("EXTENSIONS"), "monitor.crawl.runs.CrawlRunRecorder": None}


def fetch_page(url: str, *, store: bool = True, db_url: str | None = None, log_level: str = "WARNING") -> dict[str, Any]:
    """Fetch ``url``, run every pipeline stage, and return the printed record.

    With ``store`` the article is written (or found, if already stored) and the
    record carries its id; a dropped item comes back with ``dropped`` saying why.
    Without it nothing at all is written to the database.  Either way no ``crawl_runs``
    row is recorded: source health judges a source's scheduled crawls, and one
    hand-picked URL (often one that failed) must not mark a catalogue source broken.
    """
    canonicalize_url(url)  # validates: raises InvalidURLError with the URL in the message
    source = source_for_url(url)
    spidercls = PageSpider.for_source(source)
    collector = _Collector()
    spiders: list[PageSpider] = []

    def attach(crawler: Crawler) -> None:
        crawler.signals.connect(collector.scraped, signal=signals.item_scraped)
        crawler.signals.connect(collector.dropped, signal=signals.item_dropped)
        crawler.signals.connect(lambda spider: spiders.append(spider), signal=signals.spider_opened, weak=False)

    overrides = {"MONITOR_STORE": store, "MONITOR_SKIP_SEEN": False, "LOG_LEVEL": log_level,
                 "EXTENSIONS": _without_run_recorder()}
    if db_url:
        overrides["MONITOR_DB_URL"] = db_url
    with _quiet_repeats(log_level):
        run_crawlers([(source.name, spidercls)], overrides, on_crawler=attach)
    if not collector.items:
        failures = spiders[0].failures if spiders and spiders[0].failures else ["no article produced"]
        raise FetchError(f"could not fetch {url}: " + "; ".join(_reason(f, url) for f in failures))
    item, dropped = collector.items[0]
    if dropped and "duplicate" not in dropped:
        raise FetchError(f"could not use {url}: {_reason(dropped, url)}")
    record = item_record(item)
    if dropped:
        record["dropped"] = dropped
    if store and item.canonical_url:
        engine = engine_for(db_url)
        with engine.connect() as connection:
            row = connection.execute(
                select(Article.id, Article.story_id, Article.duplicate_of)
                .where(Article.canonical_url == item.canonical_url)
            ).first()
        if row is not None:
            record.update(article_id=row.id, story_id=row.story_id, duplicate_of=row.duplicate_of or record["duplicate_of"])
    return record
