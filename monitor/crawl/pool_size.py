"""How many extract workers a crawl gets (``MONITOR_PROCESS_POOL``).

A count, or ``"auto"``: one worker per CPU this process may use (its affinity
mask, capped by a cgroup v2 quota in a container), less one left for the
crawler's reactor, downloads and database writes. When a scheduler runs several
crawls at once it says how many (``MONITOR_PARALLEL_CRAWLS``), and each crawl
takes its share of the CPUs.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


def available_cpus(cgroup: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup v2 CPU quota (containers)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        quota, period = cgroup.read_text().split()[:2]
    except (OSError, ValueError):
        return cpus
    if quota == "max":
        return cpus
    return max(1, min(cpus, int(quota) // int(period)))


def pool_size(setting: object, cpus: int | None = None, crawls: int = 1) -> int:
    """Worker processes for a ``MONITOR_PROCESS_POOL`` value: a count >= 0, or ``"auto"``: this crawl's share
    of the CPUs (``crawls`` running at once) but one."""
    if isinstance(setting, str) and setting.strip().lower() == "auto":
        return max(1, (available_cpus() if cpus is None else cpus) // max(1, crawls) - 1)
    workers = -1
    if isinstance(setting, int | str) and not isinstance(setting, bool):
        with suppress(ValueError):
            workers = int(setting)
    if workers < 0:
        raise ValueError(f"MONITOR_PROCESS_POOL: expected a number of worker processes >= 0 or 'auto', "
                         f"got {setting!r}")
    return workers


def crawl_pool_size(crawler: Crawler) -> int:
    """The worker processes ``crawler``'s ``MONITOR_PROCESS_POOL`` setting asks for."""
    return pool_size(crawler.settings.get("MONITOR_PROCESS_POOL", 0),
                     crawls=crawler.settings.getint("MONITOR_PARALLEL_CRAWLS", 1))
