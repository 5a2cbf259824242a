"""Topic work over stored articles: backtesting a query and re-tagging after taxonomy changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, or_, select, update

from monitor.db.models import Article, ArticleTopic, Source
from monitor.db.upsert import insert_ignoring_conflicts

from .matcher import CompiledQuery
from .model import Document
from .tagger import Tagger

SCAN_BATCH = 500


def stored_documents(engine: Engine, *, since: datetime | None = None) -> Iterator[tuple[dict[str, Any], Document]]:
    """Stored articles (published or fetched since ``since``) as matchable documents, in id order."""
    last_id = 0
    date = func.coalesce(Article.published, Article.fetched)
    while True:
        query = (
            select(Article.id, Article.title, Article.text, Article.language, Article.url, Article.published,
                   Source.name.label("source"))
            .join(Source, Source.id == Article.source_id)
            .where(Article.id > last_id).order_by(Article.id).limit(SCAN_BATCH)
        )
        if since is not None:
            query = query.where(date >= since)
        with engine.connect() as connection:
            rows = connection.execute(query).all()
            topics: dict[int, list[str]] = {}
            for article_id, topic_id in connection.execute(
                select(ArticleTopic.article_id, ArticleTopic.topic_id)
                .where(ArticleTopic.article_id.in_([row.id for row in rows]))
            ):
                topics.setdefault(article_id, []).append(topic_id)
        if not rows:
            return
        for row in rows:
            yield row._asdict(), Document(title=row.title or "", text=row.text, source=row.source,
                                          language=row.language, topics=tuple(topics.get(row.id, ())))
        last_id = rows[-1].id


def backtest(engine: Engine, query: CompiledQuery, *, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Stored articles the query would have matched, with the evidence for each."""
    for row, document in stored_documents(engine, since=since):
        evidence = query.matches(document)
        if evidence is not None:
            yield {**row, "evidence": [e.to_dict() for e in evidence][:10], "text": None}


@dataclass(slots=True)
class RetagProgress:
    """How far a retag got."""

    retagged: int
    remaining: int
    version: str


def retag(engine: Engine, tagger: Tagger, *, batch_size: int = 200, limit: int | None = None) -> RetagProgress:
    """Re-tag stored articles whose taxonomy version differs from the tagger's, one batch per transaction.

    Each batch replaces the articles' tags and stamps the new version in the same
    transaction, so an interrupted retag resumes where it stopped and never
    leaves an article half re-tagged.
    """
    version = tagger.taxonomy.version
    stale = or_(Article.taxonomy_version.is_(None), Article.taxonomy_version != version)
    done = 0
    while limit is None or done < limit:
        size = batch_size if limit is None else min(batch_size, limit - done)
        with engine.begin() as connection:
            rows = connection.execute(
                select(Article.id, Article.title, Article.text, Article.language, Source.name.label("source"))
                .join(Source, Source.id == Article.source_id)
                .where(stale).order_by(Article.id).limit(size)
            ).all()
            if not rows:
                break
            ids = [row.id for row in rows]
            tags = [
                {"article_id": row.id, "topic_id": hit.id, "score": hit.score, "evidence": hit.to_dict()["evidence"]}
                for row in rows
                for hit in tagger.tag(Document(title=row.title or "", text=row.text, source=row.source,
                                               language=row.language))
            ]
            connection.execute(delete(ArticleTopic).where(ArticleTopic.article_id.in_(ids)))
            if tags:
                connection.execute(insert_ignoring_conflicts(connection, ArticleTopic.__table__,
                                                             ["article_id", "topic_id"]), tags)
            connection.execute(update(Article).where(Article.id.in_(ids)).values(taxonomy_version=version))
        done += len(rows)
    with engine.connect() as connection:
        remaining = connection.execute(select(func.count(Article.id)).where(stale)).scalar_one()
    return RetagProgress(retagged=done, remaining=remaining, version=version)
