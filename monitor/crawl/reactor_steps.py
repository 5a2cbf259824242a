"""Extension: the longest single step the reactor ran, into the crawl stats.

The loop-lag probe (``monitor.crawl.loop_lag``) says how late its timer fired, and
so how long the reactor was busy between two ticks. It cannot tell one piece of work
holding the reactor for 150 ms from 600 responses each handled in 0.25 ms that arrived
in the same poll: asyncio runs every callback that is ready before it looks at the
timers again. This extension times each callback on its own (thread CPU, so waiting
for a core does not count) and writes the longest, what it was, and how many took
over 100 ms: ``monitor/reactor/step_max_ms``, ``step_max_what``, ``steps_over_100ms``.

It wraps ``asyncio.Handle._run`` for the whole process while a spider is open, which
costs two clock reads per callback, so it is off unless ``MONITOR_REACTOR_STEPS`` is
set (``bench/throughput.py`` sets it). Twisted's timed calls run inside the asyncio
reactor's ``_onTimer`` callback, so one step may hold several of them.
"""

from __future__ import annotations

import asyncio.events
import time
from collections.abc import Callable

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

LONG_STEP_MS = 100.0


class StepRecord:
    """The longest step seen while one crawler's spider was open, and the count of long ones."""

    def __init__(self) -> None:
        self.max_ms = 0.0
        self.max_what = ""
        self.over_limit = 0

    def add(self, cpu_ms: float, handle: asyncio.Handle) -> None:
        if cpu_ms > LONG_STEP_MS:
            self.over_limit += 1
        if cpu_ms > self.max_ms:
            self.max_ms, self.max_what = cpu_ms, describe(handle)


def describe(handle: asyncio.Handle) -> str:
    """A short name for what a step ran: the task's coroutine, or the callback."""
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    coro = task.get_coro() if isinstance(task, asyncio.Task) else None
    if coro is not None:
        return f"task {getattr(coro, '__qualname__', type(coro).__name__)}"
    return getattr(callback, "__qualname__", None) or repr(callback)[:120]


class _StepTimer:
    """Wraps ``Handle._run`` while at least one record listens; restores it after the last."""

    def __init__(self) -> None:
        self.records: list[StepRecord] = []
        self._original: Callable[[asyncio.Handle], None] | None = None

    def attach(self, record: StepRecord) -> None:
        self.records.append(record)
        if self._original is None:
            original = self._original = asyncio.events.Handle._run
            records = self.records

            def timed_run(handle: asyncio.Handle) -> None:
                started = time.thread_time()
                try:
                    original(handle)
                finally:
                    cpu_ms = (time.thread_time() - started) * 1000
                    for each in records:
                        each.add(cpu_ms, handle)

            asyncio.events.Handle._run = timed_run  # type: ignore[method-assign]

    def detach(self, record: StepRecord) -> None:
        if record in self.records:
            self.records.remove(record)
        if not self.records and self._original is not None:
            asyncio.events.Handle._run = self._original  # type: ignore[method-assign]
            self._original = None


process_timer = _StepTimer()  # one wrapper per process, shared by every crawler in it


class ReactorStepTimer:
    """Records the longest reactor step while the crawler's spider is open."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.record = StepRecord()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ReactorStepTimer":
        if not crawler.settings.getbool("MONITOR_REACTOR_STEPS", False):
            raise NotConfigured  # off by default: without a message Scrapy logs no "Disabled" warning
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        process_timer.attach(self.record)

    def spider_closed(self) -> None:
        process_timer.detach(self.record)
        stats = self.crawler.stats
        stats.set_value("monitor/reactor/step_max_ms", round(self.record.max_ms, 1))
        stats.set_value("monitor/reactor/step_max_what", self.record.max_what)
        stats.set_value("monitor/reactor/steps_over_100ms", self.record.over_limit)
