"""The disk-backed scheduler: where waiting requests go, and that nothing is left behind."""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import scrapy
from scrapy.utils.test import get_crawler

from monitor.catalogue import Source
from monitor.crawl.queue import DiskQueueScheduler
from monitor.crawl.runner import project_settings
from monitor.feeds import FeedEntry
from spiders.base import RANK_BUCKET
from spiders.feed import FeedSpider

PROJECT_QUEUES = {name: project_settings().get(name) for name in ("SCHEDULER_DISK_QUEUE", "SCHEDULER_MEMORY_QUEUE")}


class Probe(scrapy.Spider):
    name = "probe"
    property_reads = 0

    @property
    def expensive(self) -> int:
        """Scrapy's own callback lookup reads every property of the spider, per request."""
        type(self).property_reads += 1
        return 0

    def parse(self, response):  # pragma: no cover - never downloaded here
        pass


def scheduler(settings: dict, spidercls: type[scrapy.Spider] = Probe) -> DiskQueueScheduler:
    # the downloader-aware queue needs a running engine; the plain priority queue is enough here
    crawler = get_crawler(spidercls, {"SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue",
                                      **PROJECT_QUEUES, **settings})
    crawler.spider = crawler._create_spider()
    made = DiskQueueScheduler.from_crawler(crawler)
    made.open(crawler.spider)
    return made


def test_waiting_requests_go_to_a_temporary_directory_removed_at_close() -> None:
    queue = scheduler({})
    spider = queue.spider
    assert queue.dqdir is not None and Path(queue.dqdir).is_dir()
    for n in range(50):
        assert queue.enqueue_request(scrapy.Request(f"http://127.0.0.1/a/{n}", callback=spider.parse,
                                                    meta={"entry": {"title": f"t{n}"}}))
    assert len(queue.dqs) == 50 and len(queue.mqs) == 0
    popped = queue.next_request()
    assert popped.url == "http://127.0.0.1/a/0" and popped.meta["entry"] == {"title": "t0"}  # FIFO, meta kept
    assert popped.callback == spider.parse
    assert Probe.property_reads == 0  # callbacks are found among the spider's methods only
    tmpdir = Path(queue.dqdir).parent
    queue.close("finished")
    assert not tmpdir.exists()


def test_memory_queue_when_turned_off() -> None:
    queue = scheduler({"MONITOR_QUEUE_ON_DISK": False})
    assert queue.dqdir is None and queue.dqs is None
    queue.enqueue_request(scrapy.Request("http://127.0.0.1/a/1"))
    assert len(queue.mqs) == 1
    queue.close("finished")


def test_a_jobdir_is_scrapys_to_keep(tmp_path: Path) -> None:
    queue = scheduler({"JOBDIR": str(tmp_path / "job")})
    assert Path(queue.dqdir).parent == tmp_path / "job"
    queue.close("finished")
    assert (tmp_path / "job" / "requests.queue").is_dir()  # kept for Scrapy's pause/resume


def test_a_listing_of_5000_articles_is_fetched_newest_first_from_a_few_queue_files() -> None:
    """One queue (an open file) per priority: articles are ranked in buckets, not one priority each."""
    source = Source(name="big", outlet="Big Outlet", kind="feed", start_urls=("http://127.0.0.1/feed/",))
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    entries = [FeedEntry(url=f"http://127.0.0.1/a/{n}", published=start + timedelta(minutes=n)) for n in range(5000)]
    random.Random(7).shuffle(entries)
    open_files = len(os.listdir("/proc/self/fd"))
    queue = scheduler({"MONITOR_MAX_ARTICLES_PER_LISTING": 5000}, FeedSpider.for_source(source))
    for request in queue.spider.article_requests(entries):
        queue.enqueue_request(request)
    assert len(os.listdir("/proc/self/fd")) - open_files <= 2 * 5000 // RANK_BUCKET + 3  # two files per FIFO queue
    fetched = [queue.next_request().url for _ in range(5000)]
    assert fetched == [f"http://127.0.0.1/a/{n}" for n in reversed(range(5000))]
    assert queue.next_request() is None
    queue.close("finished")


def test_a_listing_s_requests_are_made_as_they_are_taken() -> None:
    """A 5,000-entry listing never holds 5,000 requests at once: each is made when the scheduler takes it."""
    source = Source(name="big", outlet="Big Outlet", kind="feed", start_urls=("http://127.0.0.1/feed/",))
    entries = [FeedEntry(url=f"http://127.0.0.1/a/{n}") for n in range(5000)]
    queue = scheduler({"MONITOR_MAX_ARTICLES_PER_LISTING": 5000}, FeedSpider.for_source(source))
    requests = queue.spider.article_requests(entries)
    stats = queue.spider.crawler.stats
    queue.enqueue_request(next(requests))
    assert stats.get_value("monitor/listed") == 1
    for request in requests:
        queue.enqueue_request(request)
    assert stats.get_value("monitor/listed") == 5000
    queue.close("finished")


def test_queues_of_crawls_that_died_are_swept_and_nothing_else(tmp_path: Path) -> None:
    """A SIGKILLed crawl cannot remove its queue; the next crawl deletes it, once it is an hour old."""
    import subprocess
    import sys

    from monitor.crawl.queue import STALE_AFTER_SECONDS, sweep_stale_queues

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    old = datetime.now().timestamp() - STALE_AFTER_SECONDS - 60
    dirs = {name: tmp_path / name for name in (
        f"monitor-queue-b2-pid{dead_pid}-abc", f"monitor-queue-b2-pid{os.getpid()}-def",
        f"monitor-queue-b2-pid{dead_pid}-new", "monitor-queue-b2-nopid", "other-pid1-x")}
    for name, path in dirs.items():
        (path / "p0").mkdir(parents=True)
        (path / "p0" / "q00000").write_bytes(b"chunk")
        if not name.endswith("-new"):  # "-new": its queue's chunk was just written, two levels down
            for each in (path, path / "p0", path / "p0" / "q00000"):
                os.utime(each, (old, old))
        else:
            os.utime(path, (old, old))
    assert sweep_stale_queues(tmp_path) == [dirs[f"monitor-queue-b2-pid{dead_pid}-abc"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(set(dirs) - {f"monitor-queue-b2-pid{dead_pid}-abc"})
    made = scheduler({})
    try:
        assert f"-pid{os.getpid()}-" in Path(made.dqdir).parent.name  # its own name says whose it is
    finally:
        made.close("finished")
