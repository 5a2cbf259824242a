"""The database schema: what the monitor remembers between runs.

The schema is owned by Alembic migrations (``monitor/db/migrations``); these
models describe the same tables for queries and are checked against the
migrations by the test suite. This module holds the core tables; each domain
(dedupe, sources, alerts) keeps its own tables in ``monitor/<domain>/models.py``,
listed in ``monitor.db.base.MODEL_MODULES``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_, func, or_
from sqlalchemy.orm import Mapped, mapped_column

from monitor.db.base import Base
from monitor.db.types import UTCDateTime


class Source(Base):
    """An outlet the monitor crawls (one catalogue entry)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    outlet: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    created: Mapped[datetime] = mapped_column(UTCDateTime)


class Article(Base):
    """One stored article, keyed by its canonical URL."""

    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_content_hash", "content_hash"),
        Index("ix_articles_published", "published"),
        Index("ix_articles_source_published", "source_id", "published"),
        Index("ix_articles_language_published", "language", "published"),
        Index("ix_articles_story", "story_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    guid: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fetched: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    language: Mapped[str] = mapped_column(String(8), default="und")
    language_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    declared_language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    story_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), nullable=True)
    similarity: Mapped[float | None] = mapped_column(Float, nullable=True)
    taxonomy_version: Mapped[str | None] = mapped_column(String(32), nullable=True)


class ArticleTopic(Base):
    """A topic tag on an article, with the score and the evidence that earned it."""

    __tablename__ = "article_topics"
    __table_args__ = (Index("ix_article_topics_topic", "topic_id", "article_id"),
                      Index("ix_article_topics_topic_published", "topic_id", "published"))

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The article's published time, copied by database triggers (migration q001) so per-topic daily counts
    # read one index; never written by application code.
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CrawlRun(Base):
    """One spider run over one source, with Scrapy's stats as recorded at close."""

    __tablename__ = "crawl_runs"
    __table_args__ = (UniqueConstraint("run_key", name="uq_crawl_runs_run_key"),
                      Index("ix_crawl_runs_source_started", "source", "started"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_key: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(100))
    started: Mapped[datetime] = mapped_column(UTCDateTime)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    items_stored: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# An article's story: the id of the story's earliest copy (story_id), or its own id where that is unset.
STORY_KEY = func.coalesce(Article.story_id, Article.id)


def story_key_in(keys: list[int]) -> ColumnElement[bool]:
    """``STORY_KEY IN keys``, spelled so the story index and the primary key serve it (no full scan)."""
    return or_(Article.story_id.in_(keys), and_(Article.story_id.is_(None), Article.id.in_(keys)))
