"""``monitor alerts remove`` and the dashboard's "Remove alert" (its owner only): an alert goes with its inbox,
deliveries, marks, firings and dashboard read state, its id never comes back (SQLite would hand the largest one
out again, and receivers key on it), a crawl storing matches meanwhile neither fails nor leaves orphans, and a
delivery run that loses an alert mid-way goes on with the others.  SQLite and PostgreSQL, a real webhook
receiver, the real CLI and app.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, event, func, select, update
from starlette.testclient import TestClient

from monitor.alerts import add_alert, deliver, list_alerts, match_new_articles, remove_alert
from monitor.alerts.manage import AlertError
from monitor.alerts.matching import match_articles
from monitor.alerts.models import (AlertDelivery, AlertDeliveryMark, AlertMatch, AlertVersion, RemovedAlert,
                                   TrendFiring)
from monitor.cli import cli
from monitor.db import connect
from monitor.db.models import Article
from monitor.web import create_app
from monitor.web.auth import add_user
from monitor.web.models import ReadMark, ReadState
from monitor.web.read_state import mark_read, unread_counts
from tests.alert_receivers import receiver  # noqa: F401 - fixture
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture
from tests.test_web import csrf_of, sign_in


def story(engine: Engine, word: str) -> int:
    """One stored article about ``word``; returns its id."""
    return add_article(engine, "b2", f"{word} report", f"The {word} report was published.")


def count(engine: Engine, table, *where) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(*where)).scalar() or 0


def test_remove_takes_everything_the_alert_accumulated_and_nothing_of_other_alerts(any_db_url: str,
                                                                                   receiver) -> None:
    hook, server = receiver
    engine = connect(any_db_url)
    frontex = add_alert(engine, "frontex", "frontex", delivery={"webhook": hook})
    sahel = add_alert(engine, "sahel", "sahel", delivery={"webhook": hook})
    spike = add_alert(engine, "frontex-spike", trend={"dimension": "source", "key": "b2", "z": 1,
                                                      "baseline_days": 7, "min_count": 1})
    match_new_articles(engine, [story(engine, "frontex alpha"), story(engine, "frontex beta"),
                                story(engine, "sahel gamma")])
    assert deliver(engine).webhooks == 3
    user = add_user(engine, "ana", "a long passphrase")
    mark_read(engine, user, sahel, None)                      # a read mark on sahel
    mark_read(engine, user, frontex, None)                    # ... and on frontex
    match_new_articles(engine, [story(engine, "frontex delta")])
    newest = max(m for (m,) in engine.connect().execute(select(AlertMatch.id).where(AlertMatch.alert_id == frontex)))
    mark_read(engine, user, frontex, [newest])                # a read row above the mark
    assert count(engine, TrendFiring, TrendFiring.alert_id == spike) >= 1

    gone = remove_alert(engine, "Frontex")                    # names ignore case, as everywhere
    assert gone == {"id": frontex, "name": "frontex", "kind": "story", "matches": 3, "firings": 0}
    assert count(engine, AlertMatch, AlertMatch.alert_id == frontex) == 0
    assert count(engine, AlertVersion, AlertVersion.alert_id == frontex) == 0
    assert count(engine, AlertDeliveryMark, AlertDeliveryMark.alert_id == frontex) == 0
    assert count(engine, ReadMark, ReadMark.alert_id == frontex) == 0
    assert count(engine, ReadState) == 0
    # the other alerts keep theirs: one match delivered once, its marks, the user's read mark
    assert count(engine, AlertMatch, AlertMatch.alert_id == sahel) == 1
    assert count(engine, AlertDelivery) == 1
    assert count(engine, ReadMark, ReadMark.alert_id == sahel) == 1
    assert remove_alert(engine, "frontex-spike")["firings"] >= 1
    assert count(engine, TrendFiring) == 0
    assert [a["name"] for a in list_alerts(engine)] == ["sahel"]
    with pytest.raises(AlertError, match=r"no alert named 'frontex'; an alert of that name was removed on \d{4}-"):
        remove_alert(engine, "frontex")


def test_a_new_alert_never_takes_a_removed_alerts_id_so_receivers_see_its_deliveries_as_new(any_db_url: str,
                                                                                           receiver) -> None:
    hook, server = receiver
    engine = connect(any_db_url)
    add_alert(engine, "older", "sahel")
    first = add_alert(engine, "frontex", "frontex", delivery={"webhook": hook})
    article = story(engine, "frontex alpha")
    match_new_articles(engine, [article])
    deliver(engine)
    remove_alert(engine, "frontex")  # the newest alert: SQLite's next rowid would be its id again

    again = add_alert(engine, "frontex", "frontex", delivery={"webhook": hook})
    assert again > first
    user = add_user(engine, "ana", "a long passphrase")
    match_new_articles(engine, [article, story(engine, "frontex beta")])
    assert unread_counts(engine, user)[again] == 2          # nothing of the removed alert's read state
    assert deliver(engine).webhooks == 2
    keys = [key for key, _ in server.posts]
    assert len(keys) == len(set(keys)) == 3                  # the same story again, under a new key
    with engine.connect() as connection:
        kept = connection.execute(select(RemovedAlert.id, RemovedAlert.name, RemovedAlert.matches)).all()
    assert [tuple(r) for r in kept] == [(first, "frontex", 1)]


def test_a_crawl_matching_while_the_alert_is_removed_commits_and_leaves_no_orphans(any_db_url: str) -> None:
    engine = connect(any_db_url)
    frontex = add_alert(engine, "frontex", "frontex")
    article = story(engine, "frontex alpha")
    removed: list[dict] = []
    remover = threading.Thread(target=lambda: removed.append(remove_alert(engine, "frontex")))

    @event.listens_for(engine, "after_cursor_execute")
    def remove_once_the_alerts_were_read(conn, cursor, statement, parameters, context, executemany) -> None:
        if "alerts.trend IS NULL" in statement and not remover.is_alive() and not removed:
            remover.start()  # after the flush read the alerts, before it writes their matches
            time.sleep(0.5)
            assert not removed, "the alert went while a flush was matching against it"

    with engine.begin() as connection:                        # the store's flush: articles first, then matches
        connection.execute(update(Article).where(Article.id == article).values(fetched=datetime.now(timezone.utc)))
        assert match_articles(connection, [article]) == 1
    remover.join(timeout=30)
    assert removed and removed[0]["matches"] == 1             # the flush committed; its match went with the alert
    assert count(engine, AlertMatch, AlertMatch.alert_id == frontex) == 0


def test_a_delivery_run_that_loses_an_alert_midway_sends_nothing_of_it_and_the_others_all(any_db_url: str,
                                                                                           receiver) -> None:
    hook, server = receiver
    engine = connect(any_db_url)
    add_alert(engine, "frontex", "frontex", delivery={"webhook": hook})
    add_alert(engine, "sahel", "sahel", delivery={"webhook": hook})
    match_new_articles(engine, [story(engine, "frontex alpha"), story(engine, "sahel gamma")])
    removed: list[dict] = []

    @event.listens_for(engine, "after_cursor_execute")
    def remove_once_frontex_pending_was_read(conn, cursor, statement, parameters, context, executemany) -> None:
        if not removed and "FROM alert_matches" in statement and "alert_matches.id >" in statement:
            removed.append(remove_alert(engine, "frontex"))  # between reading what is pending and claiming it

    report = deliver(engine)
    assert removed and removed[0]["matches"] == 1
    assert report.webhooks == 1 and not report.failed
    assert [body["alert"] for _, body in server.posts] == ["sahel"]


def test_cli_remove_asks_unless_yes_and_names_an_unknown_alert(any_db_url: str) -> None:
    engine = connect(any_db_url)
    add_alert(engine, "frontex", "frontex")
    runner = CliRunner()
    args = ["alerts", "remove", "frontex", "--db", any_db_url]
    declined = runner.invoke(cli, args, input="n\n")
    assert declined.exit_code == 1 and [a["name"] for a in list_alerts(engine)] == ["frontex"]
    done = runner.invoke(cli, args + ["--yes"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"id": 1, "name": "frontex", "kind": "story", "matches": 0, "firings": 0}
    assert list_alerts(engine) == []
    unknown = runner.invoke(cli, ["alerts", "remove", "nope", "--yes", "--db", any_db_url])
    assert unknown.exit_code == 1 and "no alert named 'nope'" in unknown.output


def test_the_dashboard_offers_removal_to_the_alerts_owner_only(any_db_url: str) -> None:
    engine = connect(any_db_url)
    add_user(engine, "ana", "correct horse")
    add_user(engine, "bob", "battery staple")
    add_alert(engine, "desk", "frontex", owner="")            # made with the CLI: nobody's on the dashboard
    with TestClient(create_app(engine=engine, secret="test-secret")) as client:
        sign_in(client, "ana", "correct horse")
        token = csrf_of(client.get("/inbox").text)
        made = client.post("/alerts", data={"name": "frontex <b>", "query": "frontex", "csrf_token": token},
                           follow_redirects=False)
        assert made.status_code == 303
        page = client.get(made.headers["location"]).text
        assert 'id="remove-alert"' in page and "Remove frontex &lt;b&gt;" in page
        assert 'id="remove-alert"' not in client.get("/alerts/desk").text
        refused = client.post("/alerts/desk/remove", data={"csrf_token": token}, follow_redirects=False)
        assert refused.status_code == 403 and "only its owner" in refused.text
        assert client.post("/alerts/frontex%20%3Cb%3E/remove", follow_redirects=False).status_code == 403  # no CSRF
        client.post("/logout", data={"csrf_token": token})
        sign_in(client, "bob", "battery staple")
        bob_token = csrf_of(client.get("/inbox").text)
        assert 'id="remove-alert"' not in client.get("/alerts/frontex%20%3Cb%3E").text
        assert client.post("/alerts/frontex%20%3Cb%3E/remove", data={"csrf_token": bob_token},
                           follow_redirects=False).status_code == 403
        client.post("/logout", data={"csrf_token": bob_token})
        sign_in(client, "ana", "correct horse")
        token = csrf_of(client.get("/inbox").text)
        done = client.post("/alerts/frontex%20%3Cb%3E/remove", data={"csrf_token": token}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/inbox"
        assert client.get("/alerts/frontex%20%3Cb%3E").status_code == 404
    assert [a["name"] for a in list_alerts(engine)] == ["desk"]


def test_a_delivery_run_meeting_a_claim_by_another_machine_skips_it_and_goes_on(any_db_url: str,
                                                                                receiver) -> None:
    """Two `monitor alerts deliver` at once (two machines): the second waits for the first's claim, then
    skips that match instead of failing the run; the other alerts are still sent, nothing twice."""
    hook, server = receiver
    engine = connect(any_db_url)
    frontex = add_alert(engine, "frontex", "frontex", delivery={"webhook": hook})
    add_alert(engine, "sahel", "sahel", delivery={"webhook": hook})
    match_new_articles(engine, [story(engine, "frontex alpha"), story(engine, "sahel gamma")])
    with engine.connect() as connection:
        claimed = connection.execute(select(AlertMatch.id).where(AlertMatch.alert_id == frontex)).scalar_one()
    reports: list = []
    with engine.begin() as first:  # the other machine's run: claimed, sending, not yet committed
        first.execute(AlertDelivery.__table__.insert().values(
            match_id=claimed, channel="webhook", key="elsewhere", delivered_at=datetime.now(timezone.utc)))
        second = threading.Thread(target=lambda: reports.append(deliver(engine)))
        second.start()
        time.sleep(0.5)  # the second run now waits on the claim
    second.join(timeout=30)
    assert reports and reports[0].webhooks == 1 and not reports[0].failed
    assert [body["alert"] for _, body in server.posts] == ["sahel"]
    assert count(engine, AlertDelivery, AlertDelivery.match_id == claimed) == 1
