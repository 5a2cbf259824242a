"""Scrapy components a worker process needs besides the Redis scheduler.

``WorkerStartMiddleware`` drops the spider's own start requests (the seeding
process pushed them once, for everyone). ``WorkerIdle`` keeps an idle worker's
spider open while the shared queue may still grow (another worker is parsing a
feed) and polls Redis twice a second instead of Scrapy's 5-second heartbeat, so
requests pushed by one worker are picked up by the others at once. A spider
closes after ``MONITOR_WORKER_IDLE`` seconds with an empty queue (0: never).
Each poll also refreshes the worker's heartbeat (``monitor.distributed.presence``).

SIGTERM or SIGINT (``systemctl stop``, Ctrl-C) is a requested stop, not a
failure: the worker takes no new request from Redis (the queued ones stay for
the other workers), lets its in-flight requests finish, and its spiders close
``finished``, so the runs are recorded as such and the process exits 0 (a run
with errors still exits 3). Scrapy's own handling would close them with reason
``shutdown``: "failed: shutdown" rows, exit 3, a unit systemd marks failed. A
second signal goes back to Scrapy: stop now, a third kills.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import AsyncIterator
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured

from monitor.distributed import presence
from monitor.distributed.keys import client, redis_prefix
from monitor.distributed.scheduler import ROLE_SETTING

POLL_SECONDS = 0.5
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
log = logging.getLogger(__name__)
_workers: list["WorkerIdle"] = []  # this process's worker spiders, drained together on a stop signal
_previous: dict[int, Any] = {}  # the handlers ours replaced (Scrapy's): a second signal goes to them
_stopping: list[int] = []  # the stop signal received, if any: a spider that opens later drains at once


def _take_over_stop_signals() -> None:
    """Install ``_on_stop_signal`` over Scrapy's handlers (run in the reactor after Scrapy installed its own)."""
    if signal.getsignal(signal.SIGTERM) is _on_stop_signal:
        return
    for signum in STOP_SIGNALS:
        _previous[signum] = signal.getsignal(signum)
        signal.signal(signum, _on_stop_signal)


def _on_stop_signal(signum: int, frame: Any) -> None:
    """A stop was asked for: drain every worker spider; the next signal is Scrapy's again."""
    from twisted.internet import reactor

    for number, handler in _previous.items():
        signal.signal(number, handler)
    reactor.callFromThread(_drain_all, signum)


def _drain_all(signum: int) -> None:
    _stopping.append(signum)
    log.info("%s: taking no new requests; finishing the in-flight ones, then exiting (again: stop now)",
             signal.Signals(signum).name)
    for worker in list(_workers):
        worker.drain()


def _worker(crawler: Crawler) -> None:
    if crawler.settings.get(ROLE_SETTING) != "worker":
        raise NotConfigured  # not a distributed worker: nothing to do, nothing to warn about


class WorkerStartMiddleware:
    """Spider middleware: a worker yields no start requests; it only pops from Redis."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "WorkerStartMiddleware":
        _worker(crawler)
        return cls()

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        for _ in ():
            yield _


class WorkerIdle:
    """Extension: wait for shared work instead of closing when the local engine runs dry."""

    def __init__(self, crawler: Crawler, idle_seconds: float) -> None:
        self.crawler = crawler
        self.idle_seconds = idle_seconds
        self.idle_since: float | None = None
        self.loop: Any = None
        self.redis = client(crawler.settings["MONITOR_REDIS_URL"])
        self.prefix = redis_prefix(crawler.settings.get("MONITOR_REDIS_PREFIX"))
        self.member = ""
        self.draining = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "WorkerIdle":
        _worker(crawler)
        extension = cls(crawler, crawler.settings.getfloat("MONITOR_WORKER_IDLE", 10.0))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        from twisted.internet.task import LoopingCall

        self.member = presence.member_name(spider.name)
        presence.heartbeat(self.redis, self.prefix, self.member)
        self.loop = LoopingCall(self.poll)
        self.loop.start(POLL_SECONDS, now=False)
        _workers.append(self)
        from twisted.internet import reactor

        reactor.callWhenRunning(_take_over_stop_signals)  # after Scrapy's own "after startup" handlers
        if _stopping:
            reactor.callLater(0, self.drain)  # the engine's slot exists once spider_opened returned

    def spider_closed(self) -> None:
        if self in _workers:
            _workers.remove(self)
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        presence.leave(self.redis, self.prefix, self.member)

    def drain(self) -> None:
        """Stop taking requests; the spider closes ``finished`` once the in-flight ones are done."""
        self.draining = True
        scheduler = self._scheduler()
        if scheduler is not None:
            scheduler.drain()
            self.crawler.engine._slot.nextcall.schedule()  # noqa: SLF001 - look for idleness now, not in 5 s

    def _scheduler(self) -> Any:
        slot = getattr(self.crawler.engine, "_slot", None)
        return getattr(slot, "scheduler", None)

    def poll(self) -> None:
        """Queued work in Redis: wake the engine now (it would otherwise look every 5 s)."""
        presence.heartbeat(self.redis, self.prefix, self.member)
        if self.draining:
            return
        scheduler = self._scheduler()
        if scheduler is not None and scheduler.has_pending_requests():
            self.idle_since = None
            self.crawler.engine._slot.nextcall.schedule()  # noqa: SLF001 - Scrapy has no public "wake up"

    def spider_idle(self) -> None:
        if self.draining:
            return  # stopping: let the spider close
        scheduler = self._scheduler()
        if scheduler is not None and scheduler.has_pending_requests():
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if self.idle_seconds == 0 or now - self.idle_since < self.idle_seconds:
            raise DontCloseSpider
