"""Why a request or a page failed, in one word, recorded where source health can count it.

Every request a source spider makes ends here when it fails (``record_failure``
is the spiders' errback; ``record_page_problem`` is called for pages that
arrived but cannot be used). Each failure adds one to the stat
``monitor/errors/<reason>`` (and ``monitor/errors/count``), which lands in
``crawl_runs.stats`` and is counted by ``monitor.catalogue.health``, and logs
one line naming the URL and the reason. Nothing is marked seen for a failed
article, so the next run asks for it again.

Some failures are also **errors of the run** (stat ``monitor/run_errors``, which
makes the run ``finished_with_errors``, a failure for the scheduler and a
non-zero exit of ``monitor crawl``): any failed start URL or listing request
(feed, sitemap, listing or API page: without it the run finds nothing), and an
article lost to a timeout, a server error, rate limiting (429) or a broken
connection. An article the outlet answers another 4xx for (gone, forbidden) or
robots.txt forbids, and a page that arrived unusable, are the outlet's
business: counted and logged as a warning, but the run still ``finished``.

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

from monitor.crawl.verdict import ERRORS_PREFIX, RUN_ERRORS

LISTING_META = "monitor_listing"
CRAWL_PROBLEMS_4XX = ("http_408", "http_429")  # timed out, rate-limited: our crawl's problem, not a gone page  # set on feed, sitemap, listing and API page requests (spiders.base)


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


def count_error(crawler: Crawler, reason: str, *, run_error: bool = True) -> None:
    """Add one ``monitor/errors/<reason>`` (and to the total ``monitor/errors/count``).

    ``run_error``: the failure is also an error of the run (``monitor/run_errors``).
    """
    crawler.stats.inc_value(ERRORS_PREFIX + reason)
    crawler.stats.inc_value(ERRORS_PREFIX + "count")
    if run_error:
        crawler.stats.inc_value(RUN_ERRORS)


def record_failure(crawler: Crawler, logger: logging.Logger | logging.LoggerAdapter, failure: Failure) -> None:
    """Errback: count and log why the request failed (skips are silent)."""
    found = failure_reason(failure)
    if found is None:
        return
    reason, detail = found
    request = getattr(failure, "request", None)
    # the URL the listing gave (before any redirect), so the line names the article as the listing knows it
    url = (request.meta.get("redirect_urls") or [request.url])[0] if request is not None else "?"
    listing = request is not None and bool(request.meta.get(LISTING_META))
    # A failed feed, sitemap or listing page loses the whole run's discovery: always an error. An article
    # page the outlet says is gone or forbidden is the outlet's business; the rest is a failed crawl.
    outlets_business = not listing and (
        (reason.startswith("http_4") and reason not in CRAWL_PROBLEMS_4XX) or reason == "robots")
    count_error(crawler, reason, run_error=not outlets_business)
    logger.log(logging.WARNING if outlets_business else logging.ERROR, "failed %s%s: %s (%s)",
               "listing " if listing else "", url, reason, detail)


def record_page_problem(crawler: Crawler, logger: logging.Logger | logging.LoggerAdapter, url: str,
                        reason: str, detail: str) -> None:
    """A page arrived but cannot be used (empty, binary): counted like a failure, logged as a warning."""
    count_error(crawler, reason, run_error=False)
    logger.warning("skipped %s: %s (%s)", url, reason, detail)
