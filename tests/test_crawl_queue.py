"""The disk-backed scheduler: where waiting requests go, and that nothing is left behind."""

from __future__ import annotations

from pathlib import Path

import scrapy
from scrapy.utils.test import get_crawler

from monitor.crawl.queue import DiskQueueScheduler


class Probe(scrapy.Spider):
    name = "probe"

    def parse(self, response):  # pragma: no cover - never downloaded here
        pass


def scheduler(settings: dict) -> DiskQueueScheduler:
    # the downloader-aware queue needs a running engine; the plain priority queue is enough here
    crawler = get_crawler(Probe, {"SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue", **settings})
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
    assert popped.url == "http://127.0.0.1/a/49" and popped.meta["entry"] == {"title": "t49"}  # LIFO, meta kept
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
