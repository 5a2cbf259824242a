"""``list_articles`` pages by key: every article once, in order, across equal dates and undated ones."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from monitor import queries
from monitor.db import connect
from monitor.db.models import Article
from tests.db_fixtures import db_url  # noqa: F401 - every test here runs on SQLite and PostgreSQL
from tests.test_search_fixtures import add_article

NOON = datetime(2024, 3, 12, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize("topic", [None, "nato"])
def test_small_pages_list_every_article_once_in_order(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                      topic: str | None) -> None:
    engine = connect(db_url)
    hours = [0, 0, 0, 1, 1, 2, 5, 5, 5, 5, 7]  # runs of equal dates straddle the page boundaries
    ids = [add_article(engine, "b2", f"t{i}", "x", published=NOON - timedelta(hours=h), topics=("nato",))
           for i, h in enumerate(hours)]
    undated = ids[:3]
    with engine.begin() as connection:  # undated articles are listed last (their tag rows follow by trigger)
        connection.execute(update(Article).where(Article.id.in_(undated)).values(published=None))
    expected = [row["id"] for row in queries.list_articles(engine, topic=topic, limit=None, group_stories=False)]
    monkeypatch.setattr(queries, "PAGE", 2)
    paged = [row["id"] for row in queries.list_articles(engine, topic=topic, limit=None, group_stories=False)]
    assert paged == expected and sorted(paged) == sorted(ids)
    assert paged[-3:] == sorted(undated, reverse=True)
    assert [row["id"] for row in queries.list_articles(engine, topic=topic, limit=5, group_stories=False)] == expected[:5]
