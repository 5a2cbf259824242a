"""Time windows count an undated article from when it was first fetched: ``articles --since``, search and export
filters, alert backtests and the Python-side filter all see an undated page fetched today, none sees one fetched a
month ago, and the windows still read index ranges (SQLite plans).  SQLite and PostgreSQL, real CLI.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import update

from monitor.alerts.matching import backtest
from monitor.cli import cli
from monitor.db import connect
from monitor.db.models import Article
from monitor.queries import list_articles
from monitor.search.documents import load_articles
from monitor.search.fulltext import Filters, search
from tests.sql_plans import plans_of
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture

NOW = datetime.now(timezone.utc)


def undated(engine, title: str, fetched: datetime, topics: tuple[str, ...] = ()) -> int:
    """An article with no publication date, first fetched at ``fetched``."""
    article = add_article(engine, "eeas", title, f"{title}. The statement was issued in Brussels.", topics=topics)
    with engine.begin() as connection:
        connection.execute(update(Article).where(Article.id == article).values(published=None, fetched=fetched))
    return article


def test_undated_articles_count_from_their_fetch_in_every_window(any_db_url: str) -> None:
    engine = connect(any_db_url)
    fresh = undated(engine, "Sahel statement", NOW - timedelta(hours=2), topics=("nato",))
    stale = undated(engine, "Sahel declaration", NOW - timedelta(days=30), topics=("nato",))
    dated_old = add_article(engine, "eeas", "Sahel memo", "Sahel memo.", published=NOW - timedelta(days=20))
    week = NOW - timedelta(days=7)

    assert [a["id"] for a in list_articles(engine, since=week, limit=None)] == [fresh]
    assert [a["id"] for a in list_articles(engine, since=week, topic="nato", limit=None)] == [fresh]
    assert {a["id"] for a in list_articles(engine, since=NOW - timedelta(days=60), limit=None)} == {
        fresh, stale, dated_old}
    assert [h.article.id for h in search(engine, "sahel", Filters(since=week))] == [fresh]
    assert [h.article.id for h in search(engine, None, Filters(since=NOW - timedelta(days=25),
                                                              until=NOW - timedelta(days=1)))] == [dated_old]
    found = backtest(engine, "sahel", days=7)
    assert found["stories"] == 1 and found["matches"][0]["id"] == fresh
    by_id = {a.id: a for a in load_articles(engine.connect(), [fresh, stale])}
    assert Filters(since=week).accepts(by_id[fresh]) and not Filters(since=week).accepts(by_id[stale])
    assert by_id[fresh].published is None and by_id[fresh].dated == by_id[fresh].fetched

    listed = CliRunner().invoke(cli, ["articles", "--since", "7d", "--json", "--db", any_db_url])
    assert listed.exit_code == 0, listed.output
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [fresh]


def test_the_window_reads_index_ranges_not_the_whole_table(tmp_path: Path) -> None:
    database = tmp_path / "monitor.sqlite"
    engine = connect(f"sqlite:///{database}")
    for i in range(30):
        add_article(engine, "eeas", f"Sahel note {i}", "Sahel.", published=NOW - timedelta(days=i))
    undated(engine, "Sahel statement", NOW)
    week = NOW - timedelta(days=7)
    plans = plans_of(engine, database, lambda: list(list_articles(engine, since=week, limit=None)), table="articles")
    assert plans and all("SCAN articles" not in plan for _, plan in plans), plans
    plans = plans_of(engine, database, lambda: search(engine, None, Filters(since=week)), table="articles")
    assert plans and all("SCAN articles" not in plan for _, plan in plans), plans
