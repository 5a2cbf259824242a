"""What the database remembers about a source between crawls: HTTP validators and the newest article.

Plain functions over an engine, used by the conditional-GET middleware and by the
spiders that crawl "since the last crawl" (WordPress ``after=``, listing paging).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import Engine, delete, func, select

from monitor.catalogue.models import HttpValidator
from monitor.db.models import Article, Source

KEY_LENGTH = 2048  # http_validators.url


def validator_key(source: str, url: str, fingerprint: str = "") -> str:
    """The ``http_validators.url`` key of ``url`` as listed by ``source`` with entry ``fingerprint``.

    Validators are kept per source and per version of its catalogue entry, not per
    URL: a new source on a URL another source already crawled, or an entry whose
    selector or ``url_pattern`` was just fixed, must get the full page on its next
    run, not a 304 about the page it has never read. No schema change: the source
    name and entry hash go into the key (a too-long URL is replaced by its hash).
    """
    prefix = f"{source}@{fingerprint}" if fingerprint else source
    key = f"{prefix} {url}"
    return key if len(key) <= KEY_LENGTH else f"{prefix} sha256:{hashlib.sha256(url.encode()).hexdigest()}"


def validators_for(engine: Engine, source: str, url: str,
                   fingerprint: str = "") -> tuple[str | None, str | None] | None:
    """``(etag, last_modified)`` stored for ``url`` by ``source`` (entry ``fingerprint``), or None."""
    with engine.connect() as connection:
        row = connection.execute(
            select(HttpValidator.etag, HttpValidator.last_modified)
            .where(HttpValidator.url == validator_key(source, url, fingerprint))
        ).first()
    return (row.etag, row.last_modified) if row else None


def save_validators(engine: Engine, source: str, validators: Iterable[tuple[str, str | None, str | None]],
                    fingerprint: str = "") -> int:
    """Store ``(url, etag, last_modified)`` rows for ``source``, replacing older ones; returns how many.

    Rows ``source`` stored under an earlier version of its entry (another
    fingerprint, or plain URLs from before validators were keyed by source) are
    dropped: no run can use them any more.
    """
    now = datetime.now(timezone.utc)
    rows = [{"url": validator_key(source, url, fingerprint), "source": source, "etag": etag,
             "last_modified": modified, "updated": now}
            for url, etag, modified in validators if etag or modified]
    if not rows:
        return 0
    prefix = validator_key(source, "", fingerprint)
    with engine.begin() as connection:
        stale = [key for key in connection.execute(
            select(HttpValidator.url).where(HttpValidator.source == source)).scalars()
            if not key.startswith(prefix)]
        connection.execute(delete(HttpValidator).where(HttpValidator.url.in_([r["url"] for r in rows] + stale)))
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
