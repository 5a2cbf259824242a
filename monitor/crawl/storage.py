"""One ``ArticleStore`` per database per process, shared by every crawler and component.

The dedupe and store pipelines, the seen-URL middleware and the crawl-run
recorder of every crawler in the process must agree on what is pending and
stored (two outlets may carry the same wire copy in one run), so they share one
store and one engine per database URL.
"""

from __future__ import annotations

import threading

from scrapy.crawler import Crawler
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from monitor.alerts.matching import match_articles
from monitor.db import connect
from monitor.db.store import ArticleStore, FlushResult, SourceInfo

_engines: dict[str, Engine] = {}
_stores: dict[str, ArticleStore] = {}
_lock = threading.Lock()


def engine_for(url: str | None) -> Engine:
    """A migrated engine for ``url``, created once per process."""
    key = url or ""
    with _lock:
        if key not in _engines:
            _engines[key] = connect(url)
        return _engines[key]


def store_for(crawler: Crawler) -> ArticleStore:
    """The shared store for the crawler's ``MONITOR_DB_URL``."""
    url = crawler.settings.get("MONITOR_DB_URL") or None
    engine = engine_for(url)
    with _lock:
        key = url or ""
        if key not in _stores:
            batch_size = crawler.settings.getint("MONITOR_STORE_BATCH_SIZE", 100)
            redis_url = crawler.settings.get("MONITOR_REDIS_URL")
            if redis_url:  # distributed crawl: pending URLs/hashes are claimed in Redis for every worker
                from monitor.distributed.store import SharedArticleStore

                store: ArticleStore = SharedArticleStore(engine, redis_url, batch_size=batch_size,
                                                         prefix=crawler.settings.get("MONITOR_REDIS_PREFIX"))
            else:
                store = ArticleStore(engine, batch_size=batch_size)
            if crawler.settings.getbool("MONITOR_ALERTS", True):
                store.within_flush(match_alerts)
            _stores[key] = store
        return _stores[key]


def match_alerts(connection: Connection, result: FlushResult) -> None:
    """Check the flushed articles against every alert, in the flush's own transaction."""
    match_articles(connection, list(result.ids.values()), revised_ids=list(result.revised_ids))


def source_info(spider: object) -> SourceInfo:
    """What the store records about the spider's source."""
    source = getattr(spider, "source", None)
    if source is None:
        name = getattr(spider, "name", "adhoc")
        return SourceInfo(name=name, outlet=name, kind="adhoc")
    return SourceInfo(name=source.name, outlet=source.outlet, kind=source.kind, languages=source.languages)
