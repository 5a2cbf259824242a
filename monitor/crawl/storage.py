"""One ``ArticleStore`` per crawler, shared by the components that need it.

The dedupe and store pipelines, the seen-URL middleware and the crawl-run
recorder must agree on what is pending and stored, so they share one store; the
engine is shared by every crawler in the process that uses the same database.
"""

from __future__ import annotations

import threading

from scrapy.crawler import Crawler
from sqlalchemy import Engine

from monitor.db import connect
from monitor.db.store import ArticleStore, SourceInfo

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def engine_for(url: str | None) -> Engine:
    """A migrated engine for ``url``, created once per process."""
    key = url or ""
    with _lock:
        if key not in _engines:
            _engines[key] = connect(url)
        return _engines[key]


def store_for(crawler: Crawler) -> ArticleStore:
    """The crawler's store (created on first use from ``MONITOR_DB_URL``)."""
    store = getattr(crawler, "_monitor_store", None)
    if store is None:
        engine = engine_for(crawler.settings.get("MONITOR_DB_URL") or None)
        store = ArticleStore(engine, batch_size=crawler.settings.getint("MONITOR_STORE_BATCH_SIZE", 100))
        crawler._monitor_store = store  # type: ignore[attr-defined]
    return store


def source_info(spider: object) -> SourceInfo:
    """What the store records about the spider's source."""
    source = getattr(spider, "source", None)
    if source is None:
        name = getattr(spider, "name", "adhoc")
        return SourceInfo(name=name, outlet=name, kind="adhoc")
    return SourceInfo(name=source.name, outlet=source.outlet, kind=source.kind, languages=source.languages)
