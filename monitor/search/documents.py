"""Load stored articles as rows plus matcher ``Document``s, in batches (shared by search and alerts)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.engine import Connection

from monitor.db.models import STORY_KEY, Article, ArticleTopic, Source
from monitor.topics import Document



@dataclass(frozen=True, slots=True)
class StoredArticle:
    """One article as search and alerts see it: metadata plus the matcher's Document."""

    id: int
    story_key: int
    url: str
    source: str
    outlet: str
    title: str
    text: str
    language: str
    published: datetime | None
    topics: tuple[str, ...]
    fetched: datetime | None = None

    @property
    def dated(self) -> datetime | None:
        """When the article counts as having appeared: published, or when undated, first fetched (``window_parts``)."""
        return self.published or self.fetched

    @property
    def document(self) -> Document:
        return Document(self.title, self.text, self.source, self.language, self.topics)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "story_id": self.story_key, "url": self.url, "source": self.source,
                "outlet": self.outlet, "title": self.title, "language": self.language,
                "published": self.published, "topics": list(self.topics)}


def article_columns() -> Select[Any]:
    """The SELECT every loader starts from (articles joined to their source)."""
    return (
        select(Article.id, STORY_KEY.label("story_key"), Article.url, Source.name.label("source"),
               Source.outlet, Article.title, Article.text, Article.language, Article.published, Article.fetched)
        .join(Source, Source.id == Article.source_id)
    )


def window_parts(published: Any, since: datetime | None = None,
                 until: datetime | None = None) -> list[list[ColumnElement[bool]]]:
    """The date window ``[since, until)`` as SQL conditions, in two parts to run one after the other: the
    dated articles by ``published`` (``Article.published`` or its copy ``ArticleTopic.published``), then the
    undated ones by when they were first fetched (``Article.fetched``).  No window: one part, no condition.

    Undated pages (a press release without a date line) would otherwise fall out of every window: no
    ``--since 7d``, backtest or backfill would ever show them.  Two parts, not one OR: each is one range
    of the published index (undated rows are its NULL range), and in the listings' order (newest
    published first, undated last) the dated part comes first; SQLite answers the OR by walking the
    whole index.
    """
    if since is None and until is None:
        return [[]]
    dated = ([] if since is None else [published >= since]) + ([] if until is None else [published < until])
    undated = [published.is_(None)] + ([] if since is None else [Article.fetched >= since]) + (
        [] if until is None else [Article.fetched < until])
    return [dated, undated]


def topics_for(connection: Connection, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """Topic ids per article id."""
    out: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for row in connection.execute(
            select(ArticleTopic.article_id, ArticleTopic.topic_id).where(ArticleTopic.article_id.in_(chunk))
        ):
            out.setdefault(row.article_id, []).append(row.topic_id)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def to_articles(connection: Connection, rows: Iterable[Any]) -> list[StoredArticle]:
    """Rows of ``article_columns()`` as StoredArticles with their topics."""
    rows = list(rows)
    topics = topics_for(connection, [r.id for r in rows])
    return [
        StoredArticle(r.id, r.story_key, r.url, r.source, r.outlet, r.title or "", r.text or "",
                      r.language or "und", r.published, topics.get(r.id, ()), r.fetched)
        for r in rows
    ]


def load_articles(connection: Connection, ids: Sequence[int]) -> list[StoredArticle]:
    """The articles with these ids (missing ids are skipped), in id order."""
    out: list[StoredArticle] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        out += to_articles(connection, connection.execute(article_columns().where(Article.id.in_(chunk))))
    return sorted(out, key=lambda a: a.id)
