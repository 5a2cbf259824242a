"""Match articles against every alert at ingest, and backtest a query over past days.

``match_articles(connection, article_ids)`` runs inside the store's flush
transaction (``monitor.crawl.storage``): the articles are loaded once and every alert's compiled query
runs over each of them (one pass).  A match is a row unique per (alert, story)
where story = ``coalesce(story_id, id)``: syndicated copies and revisions of a
story never make a second entry, and re-running the function is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from monitor.alerts.models import Alert, AlertMatch
from monitor.db.upsert import insert_ignoring_conflicts
from monitor.search.documents import load_articles
from monitor.search.fulltext import Filters, iter_search
from monitor.topics import CompiledQuery, Taxonomy, compile_query

_compiled: dict[tuple[int, int, str], CompiledQuery] = {}


def _compile(alert_id: int, version: int, query: str, taxonomy: Taxonomy | None) -> CompiledQuery:
    key = (alert_id, version, query)
    if key not in _compiled:
        _compiled[key] = compile_query(query, taxonomy)
    return _compiled[key]


def match_new_articles(engine: Engine, article_ids: Sequence[int], taxonomy: Taxonomy | None = None) -> int:
    """Check these (new or revised) articles against all alerts; returns how many matches were new."""
    with engine.begin() as connection:
        return match_articles(connection, article_ids, taxonomy)


def match_articles(connection: Connection, article_ids: Sequence[int], taxonomy: Taxonomy | None = None) -> int:
    """``match_new_articles`` inside the caller's transaction.

    The store calls this in the transaction that writes the articles, so an
    article is never committed without its alert matches (a crash loses both or
    neither, and the article is fetched again on the next run).
    """
    ids = sorted({int(i) for i in article_ids})
    if not ids:
        return 0
    now = datetime.now(timezone.utc)
    # trend alerts count volume (monitor.alerts.trend_alerts): they match no stories
    alerts = connection.execute(select(Alert.id, Alert.version, Alert.query, Alert.filters)
                                .where(Alert.trend.is_(None))).all()
    if not alerts:
        return 0
    articles = load_articles(connection, ids)
    rules = [(a, _compile(a.id, a.version, a.query, taxonomy), Filters.from_dict(a.filters)) for a in alerts]
    rows: list[dict[str, Any]] = []
    for article in articles:
        doc = article.document
        for alert, compiled, filters in rules:
            if not filters.accepts(article):
                continue
            evidence = compiled.matches(doc)
            if evidence is not None:
                rows.append({"alert_id": alert.id, "story_key": article.story_key, "article_id": article.id,
                             "version": alert.version, "evidence": [e.to_dict() for e in evidence[:10]],
                             "matched_at": now})
    if not rows:
        return 0
    statement = insert_ignoring_conflicts(connection, AlertMatch.__table__, ["alert_id", "story_key"])
    return len(connection.execute(statement.returning(AlertMatch.id), rows).all())


def backtest(engine: Engine, query: str, filters: dict[str, Any] | None = None, days: int = 30,
             limit: int | None = 100, taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """What ``query`` would have matched over the last ``days`` days: stories, newest evidence first."""
    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    base = Filters.from_dict(filters)
    window = Filters(since=datetime.now(timezone.utc) - timedelta(days=days), languages=base.languages,
                     sources=base.sources, topics=base.topics)
    stories: dict[int, dict[str, Any]] = {}
    for hit in iter_search(engine, query, window, taxonomy):
        entry = stories.get(hit.article.story_key)
        if entry is None:
            if limit is not None and len(stories) >= limit:
                continue
            entry = stories[hit.article.story_key] = {**hit.to_dict(), "outlets": set()}
        entry["outlets"].add(hit.article.outlet)
    matches = [{**s, "outlets": sorted(s["outlets"])} for s in stories.values()]
    return {"query": query, "days": days, "stories": len(matches), "matches": matches}
