"""Scrapy components a worker process needs besides the Redis scheduler.

``WorkerStartMiddleware`` drops the spider's own start requests (the seeding
process pushed them once, for everyone). ``WorkerIdle`` keeps an idle worker's
spider open while the shared queue may still grow (another worker is parsing a
feed) and polls Redis twice a second instead of Scrapy's 5-second heartbeat, so
requests pushed by one worker are picked up by the others at once. A spider
closes after ``MONITOR_WORKER_IDLE`` seconds with an empty queue (0: never).
Each poll also refreshes the worker's heartbeat (``monitor.distributed.presence``).
"""

from __future__ import annotations

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

    def spider_closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        presence.leave(self.redis, self.prefix, self.member)

    def _scheduler(self) -> Any:
        slot = getattr(self.crawler.engine, "_slot", None)
        return getattr(slot, "scheduler", None)

    def poll(self) -> None:
        """Queued work in Redis: wake the engine now (it would otherwise look every 5 s)."""
        presence.heartbeat(self.redis, self.prefix, self.member)
        scheduler = self._scheduler()
        if scheduler is not None and scheduler.has_pending_requests():
            self.idle_since = None
            self.crawler.engine._slot.nextcall.schedule()  # noqa: SLF001 - Scrapy has no public "wake up"

    def spider_idle(self) -> None:
        scheduler = self._scheduler()
        if scheduler is not None and scheduler.has_pending_requests():
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if self.idle_seconds == 0 or now - self.idle_since < self.idle_seconds:
            raise DontCloseSpider
