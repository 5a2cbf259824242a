"""Load stored articles as rows plus matcher ``Document``s, in batches (shared by search and alerts)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
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
               Source.outlet, Article.title, Article.text, Article.language, Article.published)
        .join(Source, Source.id == Article.source_id)
    )


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
                      r.language or "und", r.published, topics.get(r.id, ()))
        for r in rows
    ]


def load_articles(connection: Connection, ids: Sequence[int]) -> list[StoredArticle]:
    """The articles with these ids (missing ids are skipped), in id order."""
    out: list[StoredArticle] = []
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        out += to_articles(connection, connection.execute(article_columns().where(Article.id.in_(chunk))))
    return sorted(out, key=lambda a: a.id)
