"""monitor.crawl.allocator: glibc malloc tuned so freed page buffers go back to the system."""

from __future__ import annotations

import subprocess
import sys

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from monitor.crawl.allocator import TUNING, TuneMalloc, applied_tuning, tune_malloc
from monitor.crawl.pool import pool_for, shutdown_pools
from tests.conftest import REPO
from tests.pool_probe import malloc_tuning

# Page-sized buffers freed while small blocks allocated between them stay alive: what a crawl does all day.
CHURN = """
import sys
from monitor.crawl.allocator import tune_malloc
applied = tune_malloc() if sys.argv[1] == "tuned" else {}
def rss_mb():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS")) // 1024
big = bytearray(4_000_000); del big  # glibc's dynamic mmap threshold now exceeds a page's size
start = rss_mb()
pages, pins = [], []
for _ in range(600):
    pages.append(bytearray(b"x" * 300_000)); pins.append(bytearray(b"y" * 2_000))
pages.clear()
print(sorted(applied), rss_mb() - start)
"""


def churn(mode: str, **env: str) -> tuple[str, int]:
    result = subprocess.run([sys.executable, "-c", CHURN, mode], capture_output=True, text=True, cwd=REPO,
                            env={"PATH": "/usr/bin:/bin", **env}, timeout=120)
    assert result.returncode == 0, result.stderr
    applied, kept = result.stdout.rsplit(" ", 1)
    return applied, int(kept)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_tuned_process_gives_freed_page_buffers_back() -> None:
    applied, kept_tuned = churn("tuned")
    _, kept_plain = churn("plain")
    assert applied == str(sorted(TUNING))
    assert kept_plain > 100  # of ~180 MB freed, glibc's defaults keep most on a fragmented heap
    assert kept_tuned < 20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_parameter_the_operator_set_is_left_alone() -> None:
    applied, _ = churn("tuned", MALLOC_ARENA_MAX="4")
    assert applied == str(sorted(set(TUNING) - {"MALLOC_ARENA_MAX"}))


def test_extract_workers_apply_the_crawler_s_tuning() -> None:
    tune_malloc()
    pool = pool_for(1)
    assert pool is not None
    try:
        in_worker = pool.submit(malloc_tuning).result(timeout=120)
    finally:
        shutdown_pools()
    assert in_worker == {variable: value for variable, (_, value) in applied_tuning().items()}


def test_setting_turns_the_extension_off() -> None:
    with pytest.raises(NotConfigured):
        TuneMalloc.from_crawler(get_crawler(settings_dict={"MONITOR_TUNE_MALLOC": False}))
