"""Extension: a one-line progress report on stderr every N seconds for long crawls and backfills.

Enabled by ``MONITOR_PROGRESS = N`` (seconds; ``monitor crawl --progress``).
One reporter per process sums the stats of every crawler in it::

    progress 0:02:10  sources 3/20 open  pages 5,120  items 4,870  stored 4,801  41.3 pages/s  queued 2,310  ETA 0:00:56

``pages`` are downloaded responses, ``items`` articles through the pipeline,
``queued`` requests waiting in the schedulers (listings still being read may
add more, so the ETA is for what is known now), the rate is over the last
report interval.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from typing import Any, TextIO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


def _clock(seconds: float) -> str:
    return str(timedelta(seconds=int(seconds)))


class ProgressBoard:
    """Sums the stats of the process's crawlers and prints one line per interval."""

    def __init__(self, interval: float, stream: TextIO | None = None) -> None:
        self.interval = interval
        self.stream = stream
        self.crawlers: list[Crawler] = []
        self.open: set[int] = set()
        self.started = time.monotonic()
        self._last: tuple[float, int] = (self.started, 0)
        self._call: Any = None

    def opened(self, crawler: Crawler) -> None:
        if crawler not in self.crawlers:
            self.crawlers.append(crawler)
        self.open.add(id(crawler))
        if self._call is None:
            from twisted.internet.task import LoopingCall

            self._call = LoopingCall(self.report)
            self._call.start(self.interval, now=False)

    def closed(self, crawler: Crawler) -> None:
        self.open.discard(id(crawler))
        if not self.open and self._call is not None:
            if self._call.running:
                self._call.stop()
            self._call = None
            self.report(final=True)

    def totals(self) -> dict[str, int]:
        """Pages, items, stored and queued summed over the crawlers."""
        totals = {"pages": 0, "items": 0, "stored": 0, "queued": 0}
        for crawler in self.crawlers:
            get = crawler.stats.get_value
            totals["pages"] += int(get("downloader/response_count", 0))
            totals["items"] += int(get("item_scraped_count", 0))
            totals["stored"] += int(get("monitor/stored", 0))
            totals["queued"] += max(0, int(get("scheduler/enqueued", 0)) - int(get("scheduler/dequeued", 0)))
        return totals

    def line(self, final: bool = False) -> str:
        """The progress line for now (and remember this point for the next rate)."""
        now = time.monotonic()
        totals = self.totals()
        last_time, last_pages = self._last
        rate = (totals["pages"] - last_pages) / max(now - last_time, 1e-9)
        if final:
            rate = totals["pages"] / max(now - self.started, 1e-9)
        self._last = (now, totals["pages"])
        eta = _clock(totals["queued"] / rate) if rate > 0 and totals["queued"] else ("done" if final else "?")
        return (f"progress {_clock(now - self.started)}  sources {len(self.open)}/{len(self.crawlers)} open  "
                f"pages {totals['pages']:,}  items {totals['items']:,}  stored {totals['stored']:,}  "
                f"{rate:.1f} pages/s  queued {totals['queued']:,}  ETA {eta}")

    def report(self, final: bool = False) -> None:
        stream = self.stream or sys.stderr
        stream.write(self.line(final) + "\n")
        stream.flush()


_boards: dict[float, ProgressBoard] = {}


class ProgressReporter:
    """Registers its crawler with the process's progress board."""

    def __init__(self, crawler: Crawler, board: ProgressBoard) -> None:
        self.crawler = crawler
        self.board = board

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ProgressReporter":
        interval = crawler.settings.getfloat("MONITOR_PROGRESS", 0.0)
        if interval <= 0:
            raise NotConfigured  # off by default: no "Disabled" warning
        reporter = cls(crawler, _boards.setdefault(interval, ProgressBoard(interval)))
        crawler.signals.connect(reporter.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(reporter.spider_closed, signal=signals.spider_closed)
        return reporter

    def spider_opened(self) -> None:
        self.board.opened(self.crawler)

    def spider_closed(self) -> None:
        self.board.closed(self.crawler)
