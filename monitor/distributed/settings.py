"""The Scrapy settings that turn a crawl into a seeder or a worker of a distributed crawl."""

from __future__ import annotations

from typing import Any

SCHEDULER = "monitor.distributed.scheduler.RedisScheduler"
# Stats of a worker's run (set by RedisScheduler), read by source health (monitor.catalogue.health): a worker
# that took no feed, sitemap or listing request cannot have "found no article links", it only crawled articles.
WORKER_STAT = "monitor/distributed/worker"
LISTINGS_TAKEN = "monitor/distributed/listings_taken"


def _merged(name: str, additions: dict[str, Any]) -> dict[str, Any]:
    """The project's component dict ``name`` (settings.py) with ``additions``: overrides replace, not merge."""
    from monitor.crawl.runner import project_settings

    return {**project_settings().getdict(name), **additions}


def _common(redis_url: str, role: str, prefix: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {"SCHEDULER": SCHEDULER, "MONITOR_REDIS_URL": redis_url,
                                "MONITOR_DISTRIBUTED_ROLE": role}
    if prefix:
        settings["MONITOR_REDIS_PREFIX"] = prefix
    return settings


def seed_settings(redis_url: str, prefix: str | None = None) -> dict[str, Any]:
    """``monitor crawl --distributed``: push start requests to Redis, crawl nothing, record no run."""
    return {**_common(redis_url, "seed", prefix), "EXTENSIONS": _merged("EXTENSIONS", {"monitor.crawl.runs.CrawlRunRecorder": None})}


def worker_settings(redis_url: str, *, idle_seconds: float = 10.0, prefix: str | None = None) -> dict[str, Any]:
    """``monitor worker``: pop requests from Redis; close after ``idle_seconds`` without work."""
    return {
        **_common(redis_url, "worker", prefix),
        "MONITOR_WORKER_IDLE": idle_seconds,
        "MONITOR_STORE_BATCH_SIZE": 1,  # write each article at once: other workers' copies may point at it
        "SPIDER_MIDDLEWARES": _merged("SPIDER_MIDDLEWARES", {"monitor.distributed.worker.WorkerStartMiddleware": 10}),
        "EXTENSIONS": _merged("EXTENSIONS", {"monitor.distributed.worker.WorkerIdle": 600}),
    }


def seed_settings_from_env() -> dict[str, Any]:
    """Seed settings for ``MONITOR_REDIS_URL``; a clear error when it is not set."""
    from monitor.config import load_config

    url = load_config().redis_url
    if not url:
        raise ValueError("--distributed needs MONITOR_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
    return seed_settings(url)
