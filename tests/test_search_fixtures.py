"""Shared by the alert, search and export tests: a fresh database per test on SQLite or PostgreSQL,
and stored articles written straight into the core tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, insert, select, text

from monitor.db import connect
from monitor.db.models import Article, ArticleTopic, Source

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_database() -> Iterator[str]:
    from tests.conftest import require_service

    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = f"monitor_t_{uuid.uuid4().hex[:12]}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "service absent"
        require_service("PostgreSQL", f"127.0.0.1:5432: {exc}".splitlines()[0])
        return
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, migrated database URL: SQLite file or a new PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'monitor.sqlite'}"
        connect(url).dispose()
        yield url
        return
    for url in _pg_database():
        connect(url).dispose()
        yield url


def add_source(engine: Engine, name: str, outlet: str | None = None) -> int:
    with engine.begin() as connection:
        found = connection.execute(select(Source.id).where(Source.name == name)).scalar()
        if found:
            return found
        return connection.execute(insert(Source).values(
            name=name, outlet=outlet or name.upper(), kind="feed", languages=[],
            created=datetime.now(timezone.utc))).inserted_primary_key[0]


def add_article(engine: Engine, source: str, title: str, body: str, *, language: str = "en",
                published: datetime | None = None, topics: tuple[str, ...] = (), story_id: int | None = None,
                url: str | None = None) -> int:
    """Store one article (and its topics); returns its id."""
    source_id = add_source(engine, source)
    now = datetime.now(timezone.utc)
    url = url or f"https://{source}.example/{uuid.uuid4().hex}"
    values: dict[str, Any] = dict(
        source_id=source_id, url=url, canonical_url=url, content_hash=uuid.uuid4().hex, title=title, authors=[],
        published=published or now, fetched=now, language=language, text=body, story_id=story_id)
    with engine.begin() as connection:
        article_id = connection.execute(insert(Article).values(**values)).inserted_primary_key[0]
        for topic in topics:
            connection.execute(insert(ArticleTopic).values(article_id=article_id, topic_id=topic, score=3.0,
                                                           evidence=[]))
    return article_id
