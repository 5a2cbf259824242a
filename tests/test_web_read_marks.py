"""Read marks (``web_read_marks``, migration w003): "mark all read" raises a per-(user, alert) watermark and
deletes the read rows it implies, instead of writing a row per entry.  A match stored later stays unread,
single entries above the mark still get rows, counts and "unread only" listings are right per alert and
per user, a stale page cannot move a mark back, the unread queries read index ranges (SQLite plans), and
the migration keeps what was read in both directions.  SQLite and PostgreSQL, real matching and the real app.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, func, inspect, insert, select, text
from starlette.testclient import TestClient

from monitor.alerts import add_alert, inbox, list_alerts, match_new_articles
from monitor.alerts.models import AlertMatch
from monitor.db import connect, upgrade
from monitor.db.migrate import alembic_config, current_revision, head_revision
from monitor.web import create_app
from monitor.web.auth import add_user, remove_user
from monitor.web.read_state import mark_read, read_matches, unread_by, unread_counts
from monitor.web.models import ReadMark, ReadState
from tests.db_fixtures import db_url, postgres_url  # noqa: F401 - every test here runs on SQLite and PostgreSQL
from tests.sql_plans import plans_of
from tests.test_search_fixtures import add_article
from tests.test_web import csrf_of, sign_in


@dataclass
class World:
    """Two users and two alerts: frontex with three matches, sahel with two."""

    engine: Engine
    ana: int
    bob: int
    frontex: int
    sahel: int
    f: list[int]
    s: list[int]


def stories(engine: Engine, word: str, n: int = 1) -> list[int]:
    """Store ``n`` articles about ``word`` (one story each) and match them; the new match ids, oldest first."""
    with engine.connect() as connection:
        before = connection.execute(select(func.max(AlertMatch.id))).scalar() or 0
    articles = [add_article(engine, "b2", f"{word} report", f"The {word} report number {i}.") for i in range(n)]
    assert match_new_articles(engine, articles) == n
    with engine.connect() as connection:
        return list(connection.execute(select(AlertMatch.id).where(AlertMatch.id > before)
                                       .order_by(AlertMatch.id)).scalars())


def marks(engine: Engine) -> dict[tuple[int, int], int]:
    """Every stored mark: (user id, alert id) -> through_match_id."""
    with engine.connect() as connection:
        rows = connection.execute(select(ReadMark.user_id, ReadMark.alert_id, ReadMark.through_match_id)).all()
    return {(r.user_id, r.alert_id): r.through_match_id for r in rows}


def read_rows(engine: Engine, uid: int) -> set[int]:
    """The match ids the user has a read row for."""
    with engine.connect() as connection:
        return set(connection.execute(select(ReadState.match_id).where(ReadState.user_id == uid)).scalars())


def unread_listing(engine: Engine, name: str, uid: int, alert_id: int | None = None, limit: int = 50) -> list[int]:
    """The match ids of the alert's "unread only" listing, newest first, as the alert page asks for them."""
    return [e["match_id"] for e in inbox(engine, name, limit=limit, where=unread_by(uid, alert_id))]


def badges(inbox_html: str) -> dict[str, int]:
    """The inbox page's unread badge per alert name."""
    return {name: int(n) for name, n in re.findall(
        r'<a href="/alerts/[^"]+">([^<]+)</a>.*?data-unread="(\d+)"', inbox_html, re.S)}


@pytest.fixture()
def world(db_url: str) -> Iterator[World]:  # noqa: F811
    engine = connect(db_url)
    ana, bob = add_user(engine, "ana", "correct horse"), add_user(engine, "bob", "bob's password")
    frontex, sahel = add_alert(engine, "frontex", "frontex"), add_alert(engine, "sahel", "sahel")
    f, s = stories(engine, "frontex", 3), stories(engine, "sahel", 2)
    yield World(engine, ana, bob, frontex, sahel, f, s)
    engine.dispose()


def test_mark_all_read_folds_the_rows_into_a_mark_and_a_later_match_stays_unread(world: World) -> None:
    w = world
    mark_read(w.engine, w.ana, w.frontex, [w.f[0]])
    mark_read(w.engine, w.ana, w.sahel, [w.s[0]])
    mark_read(w.engine, w.bob, w.frontex, [w.f[1]])
    assert mark_read(w.engine, w.ana, w.frontex, up_to=w.f[-1]) == 2  # f[0] was read already
    assert marks(w.engine) == {(w.ana, w.frontex): w.f[-1]}
    # ana's frontex row is implied now and gone; her sahel row and bob's rows are not hers to fold
    assert read_rows(w.engine, w.ana) == {w.s[0]} and read_rows(w.engine, w.bob) == {w.f[1]}
    assert unread_counts(w.engine, w.ana) == {w.frontex: 0, w.sahel: 1}

    [later] = stories(w.engine, "frontex")
    assert later > w.f[-1]
    assert unread_counts(w.engine, w.ana) == {w.frontex: 1, w.sahel: 1}
    assert read_matches(w.engine, w.ana, [*w.f, later, *w.s]) == {*w.f, w.s[0]}
    assert unread_listing(w.engine, "frontex", w.ana, w.frontex) == [later]


def test_single_entries_get_rows_only_above_the_mark(world: World) -> None:
    w = world
    assert mark_read(w.engine, w.ana, w.frontex, up_to=w.f[1]) == 2
    assert mark_read(w.engine, w.ana, w.frontex, [w.f[0], w.f[2]]) == 1  # f[0] is below the mark: read already
    assert read_rows(w.engine, w.ana) == {w.f[2]}
    assert unread_counts(w.engine, w.ana, alert_id=w.frontex) == {w.frontex: 0}
    [later] = stories(w.engine, "frontex")
    assert mark_read(w.engine, w.ana, w.frontex, [later]) == 1
    assert unread_counts(w.engine, w.ana) == {w.frontex: 0, w.sahel: 2}
    assert mark_read(w.engine, w.ana, w.frontex) == 0  # everything was read: nothing new, yet the rows fold
    assert marks(w.engine) == {(w.ana, w.frontex): later} and read_rows(w.engine, w.ana) == set()
    assert read_matches(w.engine, w.ana, [*w.f, later]) == {*w.f, later}


def test_unread_counts_per_alert_are_each_users_own(world: World) -> None:
    w = world
    carol = add_user(w.engine, "carol", "carol's password")
    mark_read(w.engine, w.ana, w.frontex, up_to=w.f[1])
    mark_read(w.engine, w.ana, w.sahel, [w.s[1]])
    mark_read(w.engine, w.bob, w.sahel, up_to=w.s[-1])
    mark_read(w.engine, w.bob, w.frontex, [w.f[0]])
    expected = {w.ana: {w.frontex: 1, w.sahel: 1}, w.bob: {w.frontex: 2, w.sahel: 0},
                carol: {w.frontex: 3, w.sahel: 2}, None: {w.frontex: 3, w.sahel: 2}}
    totals = {a["id"]: a["matches"] for a in list_alerts(w.engine)}  # what the inbox page passes
    for uid, counts in expected.items():
        assert unread_counts(w.engine, uid) == counts, uid
        assert unread_counts(w.engine, uid, totals=totals) == counts, uid
        for alert_id, n in counts.items():
            assert unread_counts(w.engine, uid, alert_id=alert_id) == {alert_id: n}, (uid, alert_id)
            assert unread_counts(w.engine, uid, alert_id=alert_id, totals=totals) == {alert_id: n}, (uid, alert_id)


def test_the_unread_only_listing_shows_exactly_the_unread_entries(world: World) -> None:
    w = world
    mark_read(w.engine, w.ana, w.frontex, up_to=w.f[1])
    newer = stories(w.engine, "frontex", 2)
    mark_read(w.engine, w.ana, w.frontex, [newer[1]])
    unread = [newer[0], w.f[2]]  # newest first
    assert unread_listing(w.engine, "frontex", w.ana, w.frontex) == unread
    assert unread_listing(w.engine, "frontex", w.ana) == unread  # the mark followed per match's alert
    assert unread_listing(w.engine, "frontex", w.ana, w.frontex, limit=1) == [newer[0]]
    assert unread_listing(w.engine, "frontex", w.bob, w.frontex) == [*reversed(newer), *reversed(w.f)]
    assert unread_listing(w.engine, "sahel", w.ana, w.sahel) == list(reversed(w.s))
    assert unread_counts(w.engine, w.ana, alert_id=w.frontex) == {w.frontex: len(unread)}


def test_a_mark_never_moves_back_nor_past_the_newest_match(world: World) -> None:
    w = world
    assert mark_read(w.engine, w.ana, w.frontex, up_to=w.f[2]) == 3
    assert mark_read(w.engine, w.ana, w.frontex, up_to=w.f[0]) == 0  # a stale page
    assert marks(w.engine) == {(w.ana, w.frontex): w.f[2]}
    assert unread_counts(w.engine, w.ana, alert_id=w.frontex) == {w.frontex: 0}
    # a forged number beyond every match marks what exists, not what comes; below every match, nothing
    assert mark_read(w.engine, w.bob, w.frontex, up_to=2**31 - 1) == 3
    assert mark_read(w.engine, w.bob, w.sahel, up_to=w.s[0] - 1) == 0
    assert marks(w.engine) == {(w.ana, w.frontex): w.f[2], (w.bob, w.frontex): w.f[2]}
    stories(w.engine, "frontex")
    assert unread_counts(w.engine, w.bob) == {w.frontex: 1, w.sahel: 2}


def test_marks_go_with_their_user_and_with_a_deleted_alert(world: World) -> None:
    w = world
    for uid in (w.ana, w.bob):
        mark_read(w.engine, uid, w.sahel)
    with w.engine.begin() as connection:  # nothing in the code deletes alerts; an operator may
        connection.execute(text("DELETE FROM alerts WHERE id = :id"), {"id": w.sahel})
    assert unread_counts(w.engine, w.ana) == {w.frontex: 3}
    mark_read(w.engine, w.ana, w.frontex, up_to=w.f[0])
    assert marks(w.engine) == {(w.ana, w.frontex): w.f[0], (w.bob, w.sahel): w.s[-1]}
    remove_user(w.engine, "ana")
    assert marks(w.engine) == {(w.bob, w.sahel): w.s[-1]}


def test_the_pages_mark_all_read_through_what_they_showed(world: World) -> None:
    w = world
    with TestClient(create_app(engine=w.engine, secret="test-secret")) as client:
        sign_in(client)
        stale = client.get("/alerts/frontex").text
        [later] = stories(w.engine, "frontex")
        page = client.get("/alerts/frontex").text
        token = csrf_of(page)
        for drawn in (page, stale):  # the current page, then a stale tab posting a lower up_to
            up_to = re.search(r'name="up_to" value="(\d+)"', drawn).group(1)
            client.post("/alerts/frontex/read", data={"all": "1", "up_to": up_to, "csrf_token": token})
            assert marks(w.engine) == {(w.ana, w.frontex): later}
        [newest] = stories(w.engine, "frontex")
        assert badges(client.get("/inbox").text) == {"frontex": 1, "sahel": 2}
        unread_page = client.get("/alerts/frontex", params={"unread_only": "true"}).text
        assert unread_page.count('class="entry unread"') == 1 and f'value="{newest}"' in unread_page
        full_page = client.get("/alerts/frontex").text
        assert full_page.count('class="entry unread"') == 1 and full_page.count('class="entry read"') == 4
        client.post("/alerts/frontex/read", data={"match_id": str(newest), "csrf_token": token})
        assert badges(client.get("/inbox").text) == {"frontex": 0, "sahel": 2}
    assert read_rows(w.engine, w.ana) == {newest}


def test_the_migration_keeps_what_was_read_both_ways(db_url: str) -> None:  # noqa: F811
    engine = connect(db_url)
    ana = add_user(engine, "ana", "correct horse")
    frontex = add_alert(engine, "frontex", "frontex")
    f = stories(engine, "frontex", 3)
    config = alembic_config(engine)
    command.downgrade(config, "w002")
    assert not inspect(engine).has_table("web_read_marks")
    with engine.begin() as connection:  # read state as it was before w003: rows only
        connection.execute(insert(ReadState), [{"user_id": ana, "match_id": m, "read_at": datetime.now(timezone.utc)}
                                               for m in f[:2]])
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    assert marks(engine) == {} and read_rows(engine, ana) == set(f[:2])  # no mark implies nothing
    assert unread_counts(engine, ana) == {frontex: 1}
    mark_read(engine, ana, frontex, up_to=f[1])
    assert marks(engine) == {(ana, frontex): f[1]} and read_rows(engine, ana) == set()
    mark_read(engine, ana, frontex, [f[2]])
    command.downgrade(config, "w002")  # the mark becomes rows again: nothing read turns unread
    assert read_rows(engine, ana) == set(f)
    upgrade(engine)
    assert unread_counts(engine, ana) == {frontex: 0}
    engine.dispose()


def test_the_unread_queries_read_index_ranges_not_tables(tmp_path: Path) -> None:
    """SQLite plans: counts above a mark are ranges of ``(alert_id, id)``; no statement scans alert_matches,
    web_read_state or web_read_marks (the inbox page passes the match totals it already has)."""
    database = tmp_path / "plans.db"
    engine = connect(f"sqlite:///{database}")
    ana = add_user(engine, "ana", "correct horse")
    marked, other = add_alert(engine, "marked", "frontex"), add_alert(engine, "other", "sahel")
    article = add_article(engine, "b2", "one", "one article for every match")
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        connection.execute(insert(AlertMatch), [
            {"alert_id": marked if i % 2 else other, "story_key": i, "article_id": article, "version": 1,
             "evidence": [], "matched_at": now} for i in range(1, 4001)])
        ids = list(connection.execute(select(AlertMatch.id).where(AlertMatch.alert_id == marked)
                                      .order_by(AlertMatch.id)).scalars())
    mark_read(engine, ana, marked, up_to=ids[1500])
    mark_read(engine, ana, marked, ids[1990:])
    mark_read(engine, ana, other, [2, 4])
    totals = {a["id"]: a["matches"] for a in list_alerts(engine)}
    assert read_rows(engine, ana) == {*ids[1990:], 2, 4}  # 1,501 entries read by a mark, not by rows
    expected = {marked: 2000 - 1501 - 10, other: 1998}

    def page_loads() -> None:
        assert unread_counts(engine, ana, totals=totals) == expected
        for alert_id, n in expected.items():
            assert unread_counts(engine, ana, alert_id=alert_id) == {alert_id: n}
        assert len(unread_listing(engine, "marked", ana, marked)) == 50
        assert read_matches(engine, ana, ids[1490:1510]) == set(ids[1490:1501])

    plans = {sql: plan for table in ("alert_matches", "web_read_state", "web_read_marks")
             for sql, plan in plans_of(engine, database, page_loads, table=table)}
    assert len(plans) >= 6
    for sql, plan in plans.items():
        for table in ("alert_matches", "web_read_state", "web_read_marks"):
            assert f"SCAN {table}" not in plan, (sql, plan)
    above = [plan for sql, plan in plans.items() if "alert_matches.id > web_read_marks.through_match_id" in sql]
    assert above and all("ix_alert_matches_alert_id (alert_id=? AND id>?)" in plan for plan in above), plans
    engine.dispose()


def test_a_match_committed_late_below_the_page_is_not_marked_read(postgres_url: str) -> None:  # noqa: F811
    """PostgreSQL takes ids at INSERT: a crawl's flush can commit match 1 after the page showed match 2."""
    from datetime import datetime, timezone

    from monitor.web.read_state import mark_all_read, newest_match_id

    engine = connect(postgres_url)
    ana = add_user(engine, "ana", "correct horse")
    alert = add_alert(engine, "frontex", "frontex")
    first, second = (add_article(engine, "b2", f"frontex {i}", "frontex text") for i in (1, 2))

    def match(article: int) -> dict:
        return dict(alert_id=alert, story_key=article, article_id=article, version=1, evidence=[],
                    matched_at=datetime.now(timezone.utc))

    slow = engine.connect()
    flush = slow.begin()
    late = slow.execute(insert(AlertMatch).values(match(first)).returning(AlertMatch.id)).scalar()
    with engine.begin() as connection:
        shown = connection.execute(insert(AlertMatch).values(match(second)).returning(AlertMatch.id)).scalar()
    assert late < shown and newest_match_id(engine, alert) == shown  # the page shows only the second
    assert mark_all_read(engine, ana, alert, up_to=shown) == 1
    flush.commit()
    slow.close()
    assert read_matches(engine, ana, [late, shown]) == {shown}
    assert unread_counts(engine, ana) == {alert: 1}
    assert mark_all_read(engine, ana, alert, up_to=shown) == 1 and unread_counts(engine, ana) == {alert: 0}
