"""What the database remembers about a source between crawls: HTTP validators and the newest article.

Plain functions over an engine, used by the conditional-GET middleware and by the
spiders that crawl "since the last crawl" (WordPress ``after=``, listing paging).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import Engine, delete, func, select

from monitor.catalogue.models import HttpValidator
from monitor.db.models import Article, Source


def validators_for(engine: Engine, url: str) -> tuple[str | None, str | None] | None:
    """``(etag, last_modified)`` stored for ``url``, or None."""
    with engine.connect() as connection:
        row = connection.execute(
            select(HttpValidator.etag, HttpValidator.last_modified).where(HttpValidator.url == url)
        ).first()
    return (row.etag, row.last_modified) if row else None


def save_validators(engine: Engine, source: str, validators: Iterable[tuple[str, str | None, str | None]]) -> int:
    """Store ``(url, etag, last_modified)`` rows for ``source``, replacing older ones; returns how many."""
    rows = [{"url": url, "source": source, "etag": etag, "last_modified": modified,
             "updated": datetime.now(timezone.utc)}
            for url, etag, modified in validators if etag or modified]
    if not rows:
        return 0
    with engine.begin() as connection:
        connection.execute(delete(HttpValidator).where(HttpValidator.url.in_([r["url"] for r in rows])))
        connection.execute(HttpValidator.__table__.insert(), rows)
    return len(rows)


def forget_validators(engine: Engine, source: str) -> int:
    """Drop every validator of ``source`` (the next crawl fetches all its listings in full)."""
    with engine.begin() as connection:
        return connection.execute(delete(HttpValidator).where(HttpValidator.source == source)).rowcount or 0


def newest_published(engine: Engine, source: str) -> datetime | None:
    """Publication date of the newest stored article of ``source``: where the next crawl may stop."""
    with engine.connect() as connection:
        return connection.execute(
            select(func.max(Article.published)).join(Source, Source.id == Article.source_id)
            .where(Source.name == source)
        ).scalar_one_or_none()
