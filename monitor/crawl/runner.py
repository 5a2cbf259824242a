"""Run crawls in this process: one Scrapy crawler per source, all on one reactor."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from monitor.catalogue import Source
from monitor.crawl.pool import shutdown_pools
from monitor.crawl.verdict import run_errors, run_status


@dataclass(slots=True)
class RunSummary:
    """What one source's crawl did, from its Scrapy stats.

    ``status`` and ``errors`` are those of its ``crawl_runs`` row (``monitor.crawl.runs``).
    """

    source: str
    status: str
    stats: dict[str, Any] = field(default_factory=dict)

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0) or 0)

    @property
    def ok(self) -> bool:
        """True when the run finished without errors."""
        return self.status == "finished"

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "status": self.status,
            "requests": self.count("downloader/request_count"),
            "article_requests": self.count("monitor/article_requests"),
            "seen_skipped": self.count("monitor/articles_seen_skipped"),
            "not_modified": self.count("monitor/not_modified"),
            "stored": self.count("monitor/stored"),
            "duplicates": self.count("monitor/duplicates/url") + self.count("monitor/duplicates/content"),
            "dropped_empty": self.count("monitor/dropped/empty_extraction"),
            "errors": run_errors(self.stats),
        }


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """The project's Scrapy settings (``settings.py``) with command-line overrides."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "settings")
    settings = get_project_settings()
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


def run_crawlers(
    spiders: Iterable[tuple[str, type]],
    overrides: dict[str, Any] | None = None,
    on_crawler: Callable[[Crawler], None] | None = None,
) -> list[RunSummary]:
    """Crawl with each ``(name, spider class)`` until all finish; blocks the caller."""
    # The CLI owns logging (one root handler at the chosen level); Scrapy must not add a second.
    process = CrawlerProcess(project_settings({"LOG_INSTALL_ROOT_HANDLER": False, **(overrides or {})}))
    crawlers: list[tuple[str, Crawler]] = []
    for name, spidercls in spiders:
        crawler = process.create_crawler(spidercls)
        if on_crawler:
            on_crawler(crawler)
        crawlers.append((name, crawler))
        process.crawl(crawler)
    try:
        process.start()
    finally:
        shutdown_pools()
    return [_summary(name, crawler) for name, crawler in crawlers]


def run_sources(sources: Iterable[Source], overrides: dict[str, Any] | None = None) -> list[RunSummary]:
    """Crawl the given catalogue sources now."""
    from spiders.loader import spider_for_source

    return run_crawlers(((s.name, spider_for_source(s)) for s in sources), overrides)


def _summary(name: str, crawler: Crawler) -> RunSummary:
    stats = dict(crawler.stats.get_stats() or {})
    return RunSummary(source=name, status=run_status(str(stats.get("finish_reason", "unknown")), stats), stats=stats)
