"""One page through the whole pipeline, as ``monitor fetch`` does it."""

from __future__ import annotations

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
from monitor.urls import canonicalize_url
from spiders.page import PageSpider, source_for_url


class FetchError(RuntimeError):
    """The page could not be fetched or yielded no article."""


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
    run_crawlers([(source.name, spidercls)], overrides, on_crawler=attach)
    if not collector.items:
        failures = "; ".join(spiders[0].failures) if spiders and spiders[0].failures else "no article produced"
        raise FetchError(f"could not fetch {url}: {failures}")
    item, dropped = collector.items[0]
    if dropped and "duplicate" not in dropped:
        raise FetchError(f"could not use {url}: {dropped}")
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
