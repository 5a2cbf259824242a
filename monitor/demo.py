"""The offline demo: serve the replica, crawl it into the database, report what was stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from monitor.catalogue import load_catalogue
from monitor.crawl.runner import RunSummary, run_sources
from monitor.db import connect
from monitor.db.models import Article, ArticleTopic, Source
from monitor.replica import CATALOGUE, SITES_DIR, ReplicaServer

# Our own loopback server: no robots.txt courtesy delays needed, so the demo is quick.
REPLICA_CRAWL_SETTINGS: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "DOWNLOAD_DELAY": 0,
}


@dataclass(slots=True)
class DemoReport:
    """What the demo stored: per-run stats, per source and language, topic hits."""

    runs: list[dict[str, Any]]
    per_source_language: list[dict[str, Any]]
    topics: list[dict[str, Any]]
    total_articles: int

    def as_dict(self) -> dict[str, Any]:
        return {"runs": self.runs, "articles": self.per_source_language, "topics": self.topics,
                "total_articles": self.total_articles}


# The replica's port is part of every stored URL: a fixed one lets a second demo on the same database find
# its pages again (conditional requests, nothing new stored) instead of fetching them all under a new port.
DEMO_PORT = 47017


def replica_server() -> ReplicaServer:
    """The replica on ``DEMO_PORT``, or on any free port when that one is taken (a second demo running)."""
    try:
        return ReplicaServer(SITES_DIR, port=DEMO_PORT)
    except OSError:
        return ReplicaServer(SITES_DIR)


def run_demo(db_url: str | None = None, *, log_level: str = "WARNING") -> DemoReport:
    """Crawl the bundled replica over loopback HTTP into ``db_url`` and summarise the database."""
    engine = connect(db_url)
    with replica_server() as server:
        sources = load_catalogue(CATALOGUE, base_url=server.base_url)
        overrides = dict(REPLICA_CRAWL_SETTINGS, LOG_LEVEL=log_level)
        if db_url:
            overrides["MONITOR_DB_URL"] = db_url
        runs = run_sources(sources, overrides)
    return summarise(engine, runs)


def summarise(engine: Engine, runs: list[RunSummary]) -> DemoReport:
    """Counts per source and language, and topic hits, from the database."""
    with engine.connect() as connection:
        per_source = connection.execute(
            select(Source.name, Article.language, func.count(Article.id))
            .join(Article, Article.source_id == Source.id)
            .group_by(Source.name, Article.language)
            .order_by(Source.name, Article.language)
        ).all()
        topics = connection.execute(
            select(ArticleTopic.topic_id, func.count(ArticleTopic.article_id))
            .group_by(ArticleTopic.topic_id)
            .order_by(func.count(ArticleTopic.article_id).desc(), ArticleTopic.topic_id)
        ).all()
        total = connection.execute(select(func.count(Article.id))).scalar_one()
    return DemoReport(
        runs=[run.as_dict() for run in runs],
        per_source_language=[{"source": s, "language": lang, "articles": n} for s, lang, n in per_source],
        topics=[{"topic": t, "articles": n} for t, n in topics],
        total_articles=total,
    )
