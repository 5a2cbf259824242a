"""Match articles against every alert at ingest, backtest a query over past days, and backfill an inbox.

``match_articles(connection, article_ids)`` runs inside the store's flush
transaction (``monitor.crawl.storage``): the articles are loaded once and every alert's compiled query
runs over each of them (one pass).  A match is a row unique per (alert, story)
where story = ``coalesce(story_id, id)``: syndicated copies and revisions of a
story never make a second entry, and re-running the function is harmless.
A revised article (``revised_ids``) keeps its match and delivery, but the
match's evidence is recomputed against the new text (emptied when the new text
no longer matches): stored offsets into the old text would highlight nonsense.

``backfill(engine, name, days)`` fills a new alert's inbox from what is already
stored (ingest matching only sees articles stored after the alert exists): the
backtest's stories become matches, each recorded as delivered under a
``backfill-`` key so that ``monitor alerts deliver`` never sends old news.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from monitor.alerts.manage import AlertError, Delivery, get_alert
from monitor.alerts.models import Alert, AlertDelivery, AlertMatch
from monitor.db.upsert import insert_ignoring_conflicts
from monitor.search.documents import load_articles
from monitor.search.fulltext import Filters, Hit, iter_search
from monitor.topics import CompiledQuery, QuerySyntaxError, Taxonomy, compile_query

_compiled: dict[tuple[int, int, str], CompiledQuery | None] = {}
logger = logging.getLogger(__name__)

BACKFILL_PREFIX = "backfill-"
# the channel a backfilled match is recorded on when its alert has neither e-mail nor webhook, so that
# every backfilled match carries a ``backfill-`` key, which ``deliver`` skips on every channel
BACKFILL_CHANNEL = "backfill"


def backfill_key(alert_id: int, story_key: int) -> str:
    """The delivery key of a backfilled match: says it was never sent (``deliver`` skips such matches)."""
    return f"{BACKFILL_PREFIX}alert-{alert_id}-story-{story_key}"


def _compile(alert_id: int, version: int, query: str, taxonomy: Taxonomy | None) -> CompiledQuery | None:
    """The alert's query compiled (cached per version), or None, logged once, when the stored query no longer
    compiles: a taxonomy edit dropped a @set or topic it names, or it was saved before a stricter check
    (``lang:xx``).  Matching runs inside the store's flush: one such alert must not fail every flush."""
    key = (alert_id, version, query)
    if key not in _compiled:
        try:
            _compiled[key] = compile_query(query, taxonomy)
        except (QuerySyntaxError, ValueError) as exc:
            logger.error("alert %d (version %d) is skipped: its query %r does not compile: %s "
                         "(fix it with `monitor alerts edit`)", alert_id, version, query, exc)
            _compiled[key] = None
    return _compiled[key]


def match_new_articles(engine: Engine, article_ids: Sequence[int], taxonomy: Taxonomy | None = None) -> int:
    """Check these (new or revised) articles against all alerts; returns how many matches were new."""
    with engine.begin() as connection:
        return match_articles(connection, article_ids, taxonomy)


def match_articles(connection: Connection, article_ids: Sequence[int], taxonomy: Taxonomy | None = None,
                   revised_ids: Sequence[int] = ()) -> int:
    """``match_new_articles`` inside the caller's transaction.

    The store calls this in the transaction that writes the articles, so an
    article is never committed without its alert matches (a crash loses both or
    neither, and the article is fetched again on the next run). ``revised_ids``
    (a subset of ``article_ids``) have their existing matches' evidence refreshed.
    """
    ids = sorted({int(i) for i in article_ids} | {int(i) for i in revised_ids})
    if not ids:
        return 0
    now = datetime.now(timezone.utc)
    # trend alerts count volume (monitor.alerts.trend_alerts): they match no stories
    # FOR KEY SHARE (PostgreSQL): an alert removed meanwhile waits for this transaction, whose matches
    # would otherwise point at a deleted alert and fail the whole flush
    alerts = connection.execute(select(Alert.id, Alert.version, Alert.query, Alert.filters)
                                .where(Alert.trend.is_(None)).with_for_update(read=True, key_share=True)).all()
    if not alerts:
        return 0
    articles = load_articles(connection, ids)
    compiled = [(a, _compile(a.id, a.version, a.query, taxonomy)) for a in alerts]
    rules = [(a, query, Filters.from_dict(a.filters)) for a, query in compiled if query is not None]
    rows: list[dict[str, Any]] = []
    for article in articles:
        doc = article.document
        for alert, compiled, filters in rules:
            if not filters.accepts(article):
                continue
            evidence = compiled.matches(doc)
            if evidence is not None:
                rows.append(_match_row(alert, article, evidence, now))
    if revised_ids:
        _refresh_evidence(connection, {int(i) for i in revised_ids}, rows)
    if not rows:
        return 0
    statement = insert_ignoring_conflicts(connection, AlertMatch.__table__, ["alert_id", "story_key"])
    return len(connection.execute(statement.returning(AlertMatch.id), rows).all())


def _match_row(alert: Any, article: Any, evidence: Sequence[Any], now: datetime) -> dict[str, Any]:
    """An ``alert_matches`` row: one per alert and story, with the first ten pieces of evidence."""
    return {"alert_id": alert.id, "story_key": article.story_key, "article_id": article.id,
            "version": alert.version, "evidence": [e.to_dict() for e in evidence[:10]], "matched_at": now}


def _refresh_evidence(connection: Connection, revised: set[int], rows: list[dict[str, Any]]) -> None:
    """Point the matches of revised articles at their new text: fresh evidence, or none if it no longer matches."""
    fresh = {(r["alert_id"], r["article_id"]): r["evidence"] for r in rows if r["article_id"] in revised}
    for match_id, alert_id, article_id, evidence in connection.execute(
            select(AlertMatch.id, AlertMatch.alert_id, AlertMatch.article_id, AlertMatch.evidence)
            .where(AlertMatch.article_id.in_(sorted(revised)))).all():
        new = fresh.get((alert_id, article_id), [])
        if new != evidence:
            connection.execute(AlertMatch.__table__.update().where(AlertMatch.id == match_id).values(evidence=new))


def _window(filters: dict[str, Any] | None, days: int) -> Filters:
    """An alert's filters limited to articles published in the last ``days`` days (backtest and backfill)."""
    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    base = Filters.from_dict(filters)
    return Filters(since=datetime.now(timezone.utc) - timedelta(days=days), languages=base.languages,
                   sources=base.sources, topics=base.topics)


def backtest(engine: Engine, query: str, filters: dict[str, Any] | None = None, days: int = 30,
             limit: int | None = 100, taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """What ``query`` would have matched over the last ``days`` days: ``stories`` counts every matching
    story, ``matches`` holds the first ``limit`` of them (newest evidence first) with their outlets.

    Why the two differ: ``limit`` caps what is printed, not what is counted; a count stopping at the
    display limit made a broad query look as narrow as a precise one.
    """
    stories: dict[int, dict[str, Any]] = {}
    seen: set[int] = set()
    for hit in iter_search(engine, query, _window(filters, days), taxonomy):
        seen.add(hit.article.story_key)
        entry = stories.get(hit.article.story_key)
        if entry is None:
            if limit is not None and len(stories) >= limit:
                continue
            entry = stories[hit.article.story_key] = {**hit.to_dict(), "outlets": set()}
        entry["outlets"].add(hit.article.outlet)
    matches = [{**s, "outlets": sorted(s["outlets"])} for s in stories.values()]
    return {"query": query, "days": days, "stories": len(seen), "matches": matches}


def backfill(engine: Engine, name: str, days: int = 30, taxonomy: Taxonomy | None = None) -> int:
    """Put the stored stories story alert ``name`` matches in the last ``days`` days (by publication date,
    the backtest's window and search) into its inbox; returns how many stories were added.

    Ingest matching only sees articles stored after the alert was created, so a new alert's inbox
    starts empty on an existing database.  Each story becomes one match (its first hit, with its
    evidence, as at ingest); a story already in the inbox is left alone (unique per alert and story).
    These stories are old news: each new match gets a delivery row with a ``backfill-`` key on
    every channel the alert has (``BACKFILL_CHANNEL`` when it has none), written in the same
    transaction, so ``monitor alerts deliver`` never sends it, not even on a channel added later.
    """
    with engine.connect() as connection:
        alert = get_alert(connection, name)
    if alert.trend is not None:
        raise AlertError(f"alert {alert.name!r} is a trend alert: it counts volume and matches no stories, "
                         "so there is nothing to backfill")
    window = _window(alert.filters, days)
    first: dict[int, Hit] = {}
    for hit in iter_search(engine, _compile(alert.id, alert.version, alert.query, taxonomy), window, taxonomy):
        first.setdefault(hit.article.story_key, hit)
    if not first:
        return 0
    now = datetime.now(timezone.utc)
    # oldest published first: the inbox lists equal matched_at by descending id, so newest published on top
    hits = sorted(first.items(), key=lambda item: (item[1].article.published or now, item[1].article.id))
    rows = [_match_row(alert, hit.article, hit.evidence, now) for _, hit in hits]
    settings = Delivery.from_dict(alert.delivery)
    channels = [c for c, target in (("email", settings.email), ("webhook", settings.webhook)) if target]
    with engine.begin() as connection:  # a match is never committed without its "delivered" rows
        statement = insert_ignoring_conflicts(connection, AlertMatch.__table__, ["alert_id", "story_key"])
        added = connection.execute(statement.returning(AlertMatch.id, AlertMatch.story_key), rows).all()
        if added:
            connection.execute(AlertDelivery.__table__.insert(), [
                {"match_id": m.id, "channel": channel, "key": backfill_key(alert.id, m.story_key),
                 "delivered_at": now} for m in added for channel in channels or [BACKFILL_CHANNEL]])
    return len(added)
