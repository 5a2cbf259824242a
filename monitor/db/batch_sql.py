"""The SQL of one store batch: insert new articles (with topics and signatures) and revise stored ones.

Called inside the ``ArticleStore``'s flush transaction; every statement skips
rows that already exist, so replaying a batch after a crash changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from monitor.db.models import Article, ArticleTopic
from monitor.db.upsert import insert_ignoring_conflicts, rows_for
from monitor.dedupe.models import ArticleSignature, ArticleVersion

REVISED_FIELDS = ("title", "authors", "text", "content_hash", "language", "language_confidence",
                  "declared_language", "description", "taxonomy_version")


@dataclass(slots=True)
class FlushResult:
    """What one flush wrote: new articles (in total and per source name) and revisions."""

    stored: int = 0
    revised: int = 0
    skipped: int = 0
    ids: dict[str, int] = field(default_factory=dict)
    revised_ids: list[int] = field(default_factory=list)
    by_source: Counter[str] = field(default_factory=Counter)


def insert_new(connection: Connection, records: list[dict[str, Any]], result: FlushResult,
               source_names: dict[int, str]) -> None:
    """Insert new articles with their topics and signatures; rows already stored (by canonical URL) are skipped."""
    if not records:
        return
    urls = [r["canonical_url"] for r in records]
    existing = dict(connection.execute(
        select(Article.canonical_url, Article.id).where(Article.canonical_url.in_(urls))
    ).all())
    # A record another process stored meanwhile is skipped; copies pointing at it point at the stored row.
    remap = {r["id"]: existing[r["canonical_url"]] for r in records if r["canonical_url"] in existing}
    fresh = [r for r in records if r["canonical_url"] not in existing]
    for record in fresh:
        for key in ("duplicate_of", "story_id"):
            if record.get(key) in remap:
                record[key] = remap[record[key]]
    articles = Article.__table__
    inserted = connection.execute(
        insert_ignoring_conflicts(connection, articles, ["canonical_url"]).returning(articles.c.id,
                                                                                     articles.c.canonical_url),
        rows_for(articles, fresh),
    ).all() if fresh else []
    result.ids = {row.canonical_url: row.id for row in inserted}
    stored = [r for r in fresh if r["canonical_url"] in result.ids]
    write_topics(connection, stored)
    signatures = [{"article_id": r["id"], "signature": r["signature"]} for r in stored if r.get("signature")]
    if signatures:
        connection.execute(insert_ignoring_conflicts(connection, ArticleSignature.__table__, ["article_id"]),
                           signatures)
    result.stored = len(stored)
    result.skipped = len(records) - len(stored)
    result.by_source.update(source_names.get(r["source_id"], "?") for r in stored)


def write_topics(connection: Connection, records: list[dict[str, Any]]) -> None:
    """The topic rows of ``records`` (each with ``id`` and ``topics``)."""
    rows = [
        {"article_id": record["id"], "topic_id": topic["id"], "score": topic["score"],
         "evidence": topic.get("evidence", [])}
        for record in records for topic in record.get("topics", [])
    ]
    if rows:
        connection.execute(insert_ignoring_conflicts(connection, ArticleTopic.__table__,
                                                     ["article_id", "topic_id"]), rows)


def revise(connection: Connection, record: dict[str, Any]) -> bool:
    """Keep the stored version, then update the article in place; False if nothing changed."""
    article_id = record["revision_of"]
    current = connection.execute(
        select(Article.title, Article.text, Article.content_hash, Article.fetched, Article.updated_at)
        .where(Article.id == article_id)
    ).first()
    if current is None or (current.content_hash == record["content_hash"] and current.title == record["title"]):
        return False
    version = connection.execute(
        select(func.count()).select_from(ArticleVersion).where(ArticleVersion.article_id == article_id)
    ).scalar_one() + 1
    now = datetime.now(timezone.utc)
    connection.execute(ArticleVersion.__table__.insert(), [{
        "article_id": article_id, "version": version, "title": current.title, "text": current.text,
        "content_hash": current.content_hash, "valid_from": current.updated_at or current.fetched,
        "replaced_at": now,
    }])
    connection.execute(update(Article).where(Article.id == article_id).values(
        updated_at=now, **{name: record.get(name) for name in REVISED_FIELDS}))
    connection.execute(delete(ArticleTopic).where(ArticleTopic.article_id == article_id))
    write_topics(connection, [{**record, "id": article_id}])
    return True
