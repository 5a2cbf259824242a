"""Extension: tune glibc's malloc for a long crawl (and its extract workers) from inside the process.

A crawl allocates and frees page-sized buffers (100 KB - 2 MB bodies, decoded
text, lxml trees) all day. glibc's defaults suit short programs: its mmap
threshold rises to the largest block ever freed, so later pages come from the
heap and leave it fragmented, and every thread (feed parsing, batch writes) can
get its own arena. Both show up as resident memory that is free but never given
back. Capping the arenas at 2 and keeping blocks over 128 KB on ``mmap`` (returned
to the system on free) lowered a 6,000-page crawl's peak RSS from 344 to 287 MB
in the crawler, and its growth per article by half (bench/BENCHMARKS.md, "Memory").

``mallopt`` is called once per process; a parameter the operator set through
glibc's own environment variable (``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_``) is left as they set it. Elsewhere than glibc (macOS,
musl) nothing happens. ``MONITOR_TUNE_MALLOC = False`` turns it off.
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # extract workers import this module: Scrapy stays out of them
    from scrapy.crawler import Crawler

# mallopt parameter numbers (glibc's malloc.h) with the values used, keyed by glibc's environment variable.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX = -1, -3, -8
TUNING: dict[str, tuple[int, int]] = {
    "MALLOC_ARENA_MAX": (M_ARENA_MAX, 2),
    "MALLOC_MMAP_THRESHOLD_": (M_MMAP_THRESHOLD, 128 * 1024),
    "MALLOC_TRIM_THRESHOLD_": (M_TRIM_THRESHOLD, 128 * 1024),
}

_applied: dict[str, int] | None = None


def tune_malloc(tuning: dict[str, tuple[int, int]] = TUNING) -> dict[str, int]:
    """Apply ``tuning`` with ``mallopt`` once per process; returns what was set (empty off glibc)."""
    global _applied
    if _applied is not None:
        return _applied
    _applied = {}
    mallopt = _glibc_mallopt()
    if mallopt is None:
        return _applied
    for variable, (parameter, value) in tuning.items():
        if variable not in os.environ and mallopt(parameter, value) == 1:
            _applied[variable] = value
    return _applied


def applied_tuning() -> dict[str, tuple[int, int]]:
    """What this process applied, in ``tune_malloc``'s form, for worker processes to apply the same."""
    return {variable: TUNING[variable] for variable in (_applied or {})}


def _glibc_mallopt():  # type: ignore[no-untyped-def]
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.gnu_get_libc_version  # absent from musl: not glibc
    except (OSError, AttributeError):
        return None
    mallopt = libc.mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return mallopt


class TuneMalloc:
    """Applies the tuning when the first crawler of the process is built (before its threads start),
    and records what was set in each crawl's stats (``monitor/malloc/*``)."""

    def __init__(self, crawler: Crawler, applied: dict[str, int]) -> None:
        self.crawler = crawler
        self.applied = applied

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "TuneMalloc":
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        if not crawler.settings.getbool("MONITOR_TUNE_MALLOC", True):
            raise NotConfigured
        extension = cls(crawler, tune_malloc())
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self) -> None:
        for variable, value in self.applied.items():
            self.crawler.stats.set_value(f"monitor/malloc/{variable.strip('_').lower()}", value)
