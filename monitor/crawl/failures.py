"""Why a request or a page failed, in one word, recorded where source health can count it.

Every request a source spider makes ends here when it fails (``record_failure``
is the spiders' errback; ``record_page_problem`` is called for pages that
arrived but cannot be used). Each failure adds one to the stat
``monitor/errors/<reason>`` (and ``monitor/errors/count``), which lands in
``crawl_runs.stats`` and is counted by ``monitor.catalogue.health``, and logs
one line naming the URL and the reason. Nothing is marked seen for a failed
article, so the next run asks for it again.

Reasons: ``http_<status>`` (after Scrapy's retries), ``timeout``, ``dns``,
``connection_refused``, ``connection_lost`` (reset or closed mid-response),
``data_loss`` (body shorter than announced), ``too_large`` (past
``DOWNLOAD_MAXSIZE``, on the wire or once decompressed), ``redirect_loop``,
``robots``, ``empty_body``, ``binary_body``, ``not_html``, ``download`` (anything
else).
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

ERRORS_PREFIX = "monitor/errors/"


class SkipRequest(IgnoreRequest):
    """A request dropped on purpose (already stored, not modified): not a failure."""


def failure_reason(failure: Failure) -> tuple[str, str] | None:
    """``(reason, detail)`` for a failed request; None for a deliberate skip."""
    exc = failure.value
    if isinstance(exc, SkipRequest):
        return None
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"http_{status}", f"HTTP {status}"
    message = str(exc) or type(exc).__name__
    names = {cls.__name__ for cls in type(exc).__mro__}
    if isinstance(exc, IgnoreRequest):
        if "max redirections" in message or "redirect loop" in message:
            return "redirect_loop", message
        if "DOWNLOAD_MAXSIZE" in message or "max size" in message:
            return "too_large", message
        if "robots.txt" in message:
            return "robots", message
        return "ignored", message
    for name, reason in (("DownloadTimeoutError", "timeout"), ("TimeoutError", "timeout"),
                         ("CannotResolveHostError", "dns"), ("DNSLookupError", "dns"),
                         ("DownloadConnectionRefusedError", "connection_refused"),
                         ("ConnectionRefusedError", "connection_refused"),
                         ("ResponseDataLossError", "data_loss"),
                         ("DownloadCancelledError", "too_large"), ("CancelledError", "too_large"),
                         ("ConnectionLost", "connection_lost"), ("ConnectionDone", "connection_lost"),
                         ("ResponseNeverReceived", "connection_lost"), ("ResponseFailed", "connection_lost"),
                         ("DownloadFailedError", "connection_lost")):
        if name in names:
            return reason, message
    return "download", f"{type(exc).__name__}: {message}"


class RedirectLoopMiddleware:
    """Downloader middleware: a redirect back to a URL already visited fails as ``redirect_loop``.

    Scrapy's scheduler would drop the looping request as a duplicate, silently;
    ordered after ``RedirectMiddleware`` (600) so it sees the 3xx first.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if 300 <= response.status < 400 and location:
            target = urljoin(request.url, location.decode("latin-1"))
            if target in {request.url, *request.meta.get("redirect_urls", [])}:
                raise IgnoreRequest(f"redirect loop: {request.url} -> {target}")
        return response


def count_error(crawler: Crawler, reason: str) -> None:
    """Add one ``monitor/errors/<reason>`` (and to the total ``monitor/errors/count``)."""
    crawler.stats.inc_value(ERRORS_PREFIX + reason)
    crawler.stats.inc_value(ERRORS_PREFIX + "count")


def record_failure(crawler: Crawler, logger: logging.Logger | logging.LoggerAdapter, failure: Failure) -> None:
    """Errback: count and log why the request failed (skips are silent)."""
    found = failure_reason(failure)
    if found is None:
        return
    reason, detail = found
    request = getattr(failure, "request", None)
    # the URL the listing gave (before any redirect), so the line names the article as the listing knows it
    url = (request.meta.get("redirect_urls") or [request.url])[0] if request is not None else "?"
    count_error(crawler, reason)
    # A page the outlet says is gone or forbidden is the outlet's business; the rest is a failed crawl.
    level = logging.WARNING if reason.startswith("http_4") or reason == "robots" else logging.ERROR
    logger.log(level, "failed %s: %s (%s)", url, reason, detail)


def record_page_problem(crawler: Crawler, logger: logging.Logger | logging.LoggerAdapter, url: str,
                        reason: str, detail: str) -> None:
    """A page arrived but cannot be used (empty, binary): counted like a failure, logged as a warning."""
    count_error(crawler, reason)
    logger.warning("skipped %s: %s (%s)", url, reason, detail)
