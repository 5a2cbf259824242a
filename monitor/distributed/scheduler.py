"""The shared crawl frontier: scrapy-redis's scheduler and dupefilter, adapted to Scrapy 2.19.

scrapy-redis 0.9.1 works with Scrapy 2.19 except for details this module
wraps: it passes ``spider=`` to the stats collector (deprecated), builds its
dupefilter key from global settings instead of our prefix, and has no notion of
a seeding process. Here:

* requests go to ``{prefix}:{spider}:requests`` (a sorted set by priority) and
  fingerprints to ``{prefix}:{spider}:dupefilter``; both persist when a process
  closes, because other workers are still using them;
* fingerprints use the monitor's own canonical URL (tracking parameters,
  ``/amp/`` variants ...), so URL variants of one article are fetched once;
* role ``seed`` (``monitor crawl --distributed``) starts a new crawl
  generation: it clears the dupefilter, pushes the spider's start requests and
  never pops; role ``worker`` (``monitor worker``) only pops.

A worker's stats say it was one (``WORKER_STAT``) and how many feed, sitemap
or listing requests it took (``LISTINGS_TAKEN``): source health must not read
a worker that only fetched articles as a run that "found no article links".
``drain`` (a worker asked to stop) takes nothing more from Redis, so the spider
closes once its in-flight requests are done and the rest stays for the others.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as ScrapyRedisScheduler

from monitor.crawl.failures import LISTING_META
from monitor.distributed.keys import client, redis_prefix
from monitor.distributed.settings import LISTINGS_TAKEN, WORKER_STAT
from monitor.urls import InvalidURLError, canonicalize_url

ROLE_SETTING = "MONITOR_DISTRIBUTED_ROLE"
ROLES = ("seed", "worker")


class CanonicalDupeFilter(RFPDupeFilter):
    """scrapy-redis's Redis-set dupefilter, fingerprinting GETs by the monitor's canonical URL."""

    def request_fingerprint(self, request: Request) -> str:
        if request.method == "GET" and not request.body:
            try:
                return hashlib.sha1(canonicalize_url(request.url).encode()).hexdigest()
            except InvalidURLError:
                pass
        return super().request_fingerprint(request)


class RedisScheduler(ScrapyRedisScheduler):
    """scrapy-redis ``Scheduler`` with our keys, roles and no deprecated calls."""

    def __init__(self, server: Any, *, prefix: str, role: str, debug: bool = False) -> None:
        super().__init__(server, persist=True, flush_on_start=False,
                         queue_key=f"{prefix}:%(spider)s:requests",
                         queue_cls="scrapy_redis.queue.PriorityQueue",
                         dupefilter_key=f"{prefix}:%(spider)s:dupefilter", idle_before_close=0)
        self.role = role
        self.debug = debug
        self.last_pop = time.monotonic()
        self.draining = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RedisScheduler":
        settings = crawler.settings
        url = settings.get("MONITOR_REDIS_URL")
        if not url:
            raise ValueError("the Redis scheduler needs MONITOR_REDIS_URL (redis://HOST:PORT/DB)")
        role = settings.get(ROLE_SETTING, "worker")
        if role not in ROLES:
            raise ValueError(f"{ROLE_SETTING}={role!r}: expected one of {', '.join(ROLES)}")
        server = client(url)
        server.ping()
        scheduler = cls(server, prefix=redis_prefix(settings.get("MONITOR_REDIS_PREFIX")), role=role,
                        debug=settings.getbool("DUPEFILTER_DEBUG"))
        scheduler.stats = crawler.stats
        return scheduler

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = PriorityQueue(server=self.server, spider=spider, key=self.queue_key % {"spider": spider.name})
        self.df = CanonicalDupeFilter(self.server, key=self.dupefilter_key % {"spider": spider.name},
                                      debug=self.debug)
        if self.role == "seed":
            self.df.clear()  # a new crawl generation: feeds and listings are fetched again
        else:
            self.stats.set_value(WORKER_STAT, 1)
            self.stats.set_value(LISTINGS_TAKEN, 0)
            if len(self.queue):
                spider.logger.info("joining a distributed crawl: %d request(s) queued", len(self.queue))

    def drain(self) -> None:
        """Take no more requests (the worker is stopping); queued ones stay in Redis for the other workers."""
        self.draining = True

    def close(self, reason: str) -> None:
        """Keep the queue and fingerprints: other workers are still crawling."""

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        if self.role == "seed" or self.draining:
            return None
        request = self.queue.pop()
        if request is not None:
            self.last_pop = time.monotonic()
            self.stats.inc_value("scheduler/dequeued/redis")
            if request.meta.get(LISTING_META):
                self.stats.inc_value(LISTINGS_TAKEN)
        return request

    def has_pending_requests(self) -> bool:
        return self.role != "seed" and not self.draining and len(self.queue) > 0
