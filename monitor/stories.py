"""Stories: every stored copy of one story, for ``monitor story`` and the grouped article list."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from monitor.db.models import STORY_KEY, Article, Source, story_key_in
from monitor.urls import InvalidURLError, canonicalize_url


class UnknownArticleError(LookupError):
    """No stored article matches the given id or URL."""


def find_article_id(engine: Engine, id_or_url: str) -> int:
    """The article id for an id or any URL variant of a stored article."""
    if id_or_url.isdigit():
        key = select(Article.id).where(Article.id == int(id_or_url))
    else:
        try:
            key = select(Article.id).where(Article.canonical_url == canonicalize_url(id_or_url))
        except InvalidURLError as exc:
            raise UnknownArticleError(f"{id_or_url!r} is neither an article id nor a URL") from exc
    with engine.connect() as connection:
        found = connection.execute(key).scalar()
    if found is None:
        raise UnknownArticleError(f"no stored article {id_or_url!r}")
    return found


def story_of(engine: Engine, id_or_url: str) -> dict[str, Any]:
    """The story an article belongs to: its original, every copy with outlet and similarity.

    ``story_id`` is the first copy this database stored (what ``duplicate_of`` points
    at); ``original`` is the first copy published, which is what a reader means by it:
    an outlet crawled before the one it copied does not become the source. Copies
    without a date count as published when they were fetched.
    """
    article_id = find_article_id(engine, id_or_url)
    with engine.connect() as connection:
        story_id = connection.execute(select(STORY_KEY).where(Article.id == article_id)).scalar_one()
        rows = connection.execute(
            select(Article.id, Article.url, Article.title, Article.published, Article.fetched, Article.language,
                   Article.duplicate_of, Article.similarity, Source.name.label("source"), Source.outlet)
            .join(Source, Source.id == Article.source_id)
            .where(story_key_in([story_id]))
            .order_by(Article.id)
        ).all()
    copies = [row._asdict() for row in rows]
    return {
        "story_id": story_id,
        "original": min(copies, key=_first_published),
        "outlets": sorted({c["outlet"] for c in copies}),
        "first_seen": min(c["fetched"] for c in copies),
        "copies": copies,
    }


def _first_published(copy: dict[str, Any]) -> tuple[datetime, int]:
    when = copy["published"] or copy["fetched"]
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)), copy["id"]


def outlet_counts(connection: Connection, story_ids: list[int]) -> dict[int, int]:
    """How many outlets carried each story."""
    if not story_ids:
        return {}
    rows = connection.execute(
        select(STORY_KEY, func.count(func.distinct(Article.source_id)))
        .where(story_key_in(story_ids)).group_by(STORY_KEY)
    ).all()
    return {story: count for story, count in rows}
