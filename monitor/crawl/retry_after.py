"""Downloader middleware: honour ``Retry-After`` on 429 and 503 before retrying.

Scrapy's ``RetryMiddleware`` retries at once; an outlet that says "come back in
30 seconds" deserves to be believed. This middleware waits the announced time
(seconds or an HTTP date, capped by ``MONITOR_RETRY_AFTER_MAX``, default 300 s)
and then reschedules the request through ``get_retry_request``, so retry counts
and stats stay Scrapy's. While it waits, the request keeps its downloader slot,
so the rest of that outlet's queue slows down too. A longer announced wait gives
up on the request (stat ``monitor/retry_after/too_long``) instead of stalling
the crawl. Responses without the header go on to ``RetryMiddleware`` unchanged.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

RETRY_AFTER_CODES = (429, 503)


def parse_retry_after(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date); None when unusable."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfterMiddleware:
    """Waits out ``Retry-After`` on 429/503, then retries (ordered before Scrapy's RetryMiddleware)."""

    def __init__(self, crawler: Crawler, max_wait: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RetryAfterMiddleware":
        if not crawler.settings.getbool("RETRY_ENABLED", True):
            raise NotConfigured  # RETRY_ENABLED is off (on purpose: no warning)
        return cls(crawler, crawler.settings.getfloat("MONITOR_RETRY_AFTER_MAX", 300.0))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in RETRY_AFTER_CODES or request.meta.get("dont_retry"):
            return response
        wait = parse_retry_after(response.headers.get("Retry-After"))
        if wait is None:
            return response
        stats = self.crawler.stats
        if wait > self.max_wait:
            stats.inc_value("monitor/retry_after/too_long")
            return response
        retry = get_retry_request(request, spider=self.crawler.spider,
                                  reason=f"{response.status} Retry-After {wait:g}s")
        if retry is None:
            return response
        stats.inc_value("monitor/retry_after/waited")
        stats.inc_value("monitor/retry_after/seconds", int(round(wait)))
        if wait > 0:
            from twisted.internet import reactor  # the running one; importing it earlier would install a default

            await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return retry
