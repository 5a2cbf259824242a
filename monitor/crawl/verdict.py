"""How a crawl run went, from its stats alone: ``run_errors`` and ``run_status``.

One definition for everything that judges a run: its ``crawl_runs`` row
(``monitor.crawl.runs``), the JSON and exit status of ``monitor crawl``, the
scheduler and the dashboard, never Scrapy's count of ERROR log lines (a
timed-out page logs two, a 404 feed none). Free of Scrapy, so the dashboard can
read it without loading the crawler.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ERRORS_PREFIX = "monitor/errors/"
RUN_ERRORS = "monitor/run_errors"  # failures that make the run finished_with_errors (monitor.crawl.failures)
ITEM_ERRORS = "monitor/item_errors"  # an item pipeline raised (Scrapy logs it but counts nothing)
# What makes a run an error: failed start URLs, listings and article pages (monitor.crawl.failures),
# articles that could not be stored (pipelines.store), spider callbacks and item pipelines that raised.
ERROR_STATS = (RUN_ERRORS, ERRORS_PREFIX + "store_failed", "spider_exceptions/count", ITEM_ERRORS)
ERRORS_EXIT_CODE = 3  # `monitor crawl`: it ran, but a run had errors (the scheduler reads the row, not a crash)
# Finish reasons that end a run where its settings said to (CLOSESPIDER_PAGECOUNT, _TIMEOUT, ...): not a failure.
PLANNED_STOP = "closespider_"


def run_errors(stats: Mapping[str, Any]) -> int:
    """How many errors a run had, from its stats (deliberate skips and articles gone at the outlet are not)."""
    return sum(int(stats.get(key, 0) or 0) for key in ERROR_STATS)


def run_status(reason: str, stats: Mapping[str, Any]) -> str:
    """``finished``, ``finished_with_errors`` (``run_errors`` > 0) or ``failed: <reason>``.

    A run stopped by a configured limit (``closespider_*``) finished: the limit is the plan.
    """
    if reason != "finished" and not reason.startswith(PLANNED_STOP):
        return f"failed: {reason}"
    return "finished_with_errors" if run_errors(stats) else "finished"
