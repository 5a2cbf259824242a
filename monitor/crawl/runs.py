"""Extension: record each spider run and its stats in ``crawl_runs``.

Source health (broken feeds, empty extractions, silent outlets) is computed from
these rows, so every run leaves one, including runs that fail. Its status is
``monitor.crawl.verdict.run_status``, as everywhere else a run is judged.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from sqlalchemy import update

from monitor.crawl.storage import store_for
from monitor.crawl.verdict import ITEM_ERRORS, RUN_ERRORS, run_status
from monitor.db.models import CrawlRun


class CrawlRunRecorder:
    """Inserts a ``running`` row when a spider opens and completes it when it closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.run_key = uuid.uuid4().hex

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CrawlRunRecorder":
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(recorder.item_error, signal=signals.item_error)
        return recorder

    def item_error(self, **_: Any) -> None:
        self.crawler.stats.inc_value(ITEM_ERRORS)

    def spider_opened(self, spider: Spider) -> None:
        engine = store_for(self.crawler).engine
        with engine.begin() as connection:
            connection.execute(CrawlRun.__table__.insert(), [{
                "run_key": self.run_key, "source": spider.name, "started": datetime.now(timezone.utc),
                "status": "running", "items_stored": 0, "stats": {},
            }])

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = {key: _jsonable(value) for key, value in (self.crawler.stats.get_stats() or {}).items()}
        stats.setdefault(RUN_ERRORS, 0)  # present even when 0: health tells these rows from older ones
        status = run_status(reason, stats)
        engine = store_for(self.crawler).engine
        with engine.begin() as connection:
            connection.execute(
                update(CrawlRun).where(CrawlRun.run_key == self.run_key).values(
                    finished=datetime.now(timezone.utc), status=status,
                    items_stored=int(stats.get("monitor/stored", 0)), stats=stats,
                )
            )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)
