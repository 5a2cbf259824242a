"""Read-only queries analysts run against stored articles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from monitor.db.models import Article, ArticleTopic, Source


def list_articles(
    engine: Engine, *, topic: str | None = None, language: str | None = None, source: str | None = None,
    since: datetime | None = None, limit: int | None = 50,
) -> Iterator[dict[str, Any]]:
    """Articles newest first, filtered; each with its topics. Streams rows."""
    query = (
        select(Article.id, Article.url, Article.canonical_url, Source.name.label("source"), Article.title,
               Article.authors, Article.published, Article.fetched, Article.language, Article.story_id,
               Article.duplicate_of)
        .join(Source, Source.id == Article.source_id)
        .order_by(Article.published.desc().nulls_last(), Article.id.desc())
    )
    if topic:
        query = query.where(Article.id.in_(select(ArticleTopic.article_id).where(ArticleTopic.topic_id == topic)))
    if language:
        query = query.where(Article.language == language)
    if source:
        query = query.where(Source.name == source)
    if since:
        query = query.where(Article.published >= since)
    if limit:
        query = query.limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        ids = [row.id for row in rows]
        topics: dict[int, list[dict[str, Any]]] = {}
        if ids:
            for tag in connection.execute(
                select(ArticleTopic.article_id, ArticleTopic.topic_id, ArticleTopic.score)
                .where(ArticleTopic.article_id.in_(ids)).order_by(ArticleTopic.score.desc())
            ):
                topics.setdefault(tag.article_id, []).append({"id": tag.topic_id, "score": tag.score})
    for row in rows:
        record = row._asdict()
        record["topics"] = topics.get(row.id, [])
        yield record
