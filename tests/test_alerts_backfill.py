"""``monitor alerts add --backfill``: a new alert's inbox filled from the stored articles the backtest
finds, never delivered (not even on a channel added later), while later ingest matches are delivered
as before; SQLite and PostgreSQL, a real SMTP server (aiosmtpd) and a real webhook receiver."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from monitor.alerts import AlertError, add_alert, backfill, backtest, inbox, match_new_articles
from monitor.alerts.models import AlertDelivery, AlertMatch
from monitor.cli import cli
from monitor.db import connect
from tests.alert_receivers import receiver, smtp  # noqa: F401 - fixtures
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture

NOW = datetime.now(timezone.utc)
QUERY = "nato OR otan"


def run(db_url: str, *args: str) -> Result:
    """``monitor ARGS`` on the database ``db_url``, in process."""
    return CliRunner().invoke(cli, list(args), env={"MONITOR_DB_URL": db_url})


def add_ok(db_url: str, *args: str) -> dict:
    result = run(db_url, "alerts", "add", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def store_history(engine) -> dict[str, int]:
    """Stored before any alert exists: a story run by 3 outlets (2 days old), an English story 20 days
    old, a French one 10 days old, one 40 days old (outside a 30-day window) and an unrelated article."""
    first = add_article(engine, "nato", "NATO Mission Iraq expands", "NATO Mission Iraq advises Iraqi institutions.",
                        published=NOW - timedelta(days=2))
    copies = [add_article(engine, src, "NATO Mission Iraq expands", "NATO Mission Iraq advises.", story_id=first,
                          published=NOW - timedelta(days=2)) for src in ("b2", "euractiv")]
    with engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE articles SET story_id = {first} WHERE id = {first}")
    return {"syndicated": first, "euractiv_copy": copies[1],
            "older": add_article(engine, "b2", "NATO summit", "NATO leaders meet.", published=NOW - timedelta(days=20)),
            "french": add_article(engine, "b2", "L'OTAN en Irak", "La mission de l'OTAN en Irak.", language="fr",
                                  published=NOW - timedelta(days=10)),
            "outside": add_article(engine, "b2", "NATO archive", "NATO in 1999.", published=NOW - timedelta(days=40)),
            "other": add_article(engine, "b2", "Sanctions", "EU sanctions.", published=NOW - timedelta(days=1))}


def stories_in_inbox(engine, name: str) -> set[int]:
    return {e["story_id"] for e in inbox(engine, name, limit=1000)}


def test_backfill_puts_exactly_the_backtests_stories_in_the_inbox(any_db_url: str) -> None:
    engine = connect(any_db_url)
    ids = store_history(engine)
    out = add_ok(any_db_url, "nmi", QUERY, "--email", "analyst@example.eu", "--backfill")
    expected = {m["story_id"] for m in backtest(engine, QUERY, days=30, limit=None)["matches"]}
    assert expected == {ids["syndicated"], ids["older"], ids["french"]}  # not "outside" (40 days), not "other"
    assert out["backfill"] == {"days": 30, "stories": 3} and out["backtest"]["stories"] == 3
    assert stories_in_inbox(engine, "nmi") == expected
    with engine.connect() as connection:
        matches = connection.execute(select(AlertMatch.__table__)).all()
    assert len(matches) == 3 and {m.version for m in matches} == {1}  # one row per story, not per outlet
    assert all(m.evidence and {"field", "start", "end"} <= set(m.evidence[0]) for m in matches)
    assert [e["title"] for e in inbox(engine, "nmi")] == ["NATO Mission Iraq expands", "L'OTAN en Irak",
                                                          "NATO summit"]  # newest published on top
    # a wider window backfills the older story too, and only it: stories already in the inbox stay as they were
    assert backfill(engine, "nmi", days=60) == 1
    assert stories_in_inbox(engine, "nmi") == expected | {ids["outside"]}
    # a window with nothing in it creates nothing
    empty = add_ok(any_db_url, "empty", "sanctions", "--backtest-days", "1", "--backfill")
    assert empty["backfill"] == {"days": 1, "stories": 0} and stories_in_inbox(engine, "empty") == set()
    # without --backfill the inbox stays empty, as before
    plain = add_ok(any_db_url, "plain", QUERY)
    assert "backfill" not in plain and stories_in_inbox(engine, "plain") == set()


def test_backfill_respects_the_alerts_filters(any_db_url: str) -> None:
    engine = connect(any_db_url)
    ids = store_history(engine)
    add_ok(any_db_url, "fr", QUERY, "--lang", "FR", "--backtest-days", "60", "--backfill")
    assert stories_in_inbox(engine, "fr") == {ids["french"]}
    add_ok(any_db_url, "euractiv", QUERY, "--source", "euractiv", "--backfill")
    # the syndicated story, through its euractiv copy (the story is still one entry)
    entries = inbox(engine, "euractiv")
    assert [(e["story_id"], e["article_id"], e["also_in"]) for e in entries] == [(ids["syndicated"],
                                                                                   ids["euractiv_copy"], 2)]


def test_backfilled_matches_are_never_delivered_but_later_matches_are(any_db_url: str, smtp, receiver) -> None:
    smtp_url, box = smtp
    hook, server = receiver
    engine = connect(any_db_url)
    ids = store_history(engine)
    add_ok(any_db_url, "nmi", QUERY, "--email", "analyst@example.eu", "--webhook", hook, "--backfill")
    add_ok(any_db_url, "daily", QUERY, "--email", "desk@example.eu", "--digest", "daily", "--backfill")
    add_ok(any_db_url, "late", QUERY, "--backfill")  # no channel yet: e-mail and webhook are added below
    with engine.connect() as connection:
        keys = connection.execute(select(AlertDelivery.channel, AlertDelivery.key)).all()
    assert len(keys) == 3 * 2 + 3 + 3 and all(k.key.startswith("backfill-alert-") for k in keys)
    assert [e["delivered"] for e in inbox(engine, "nmi")] == [["email", "webhook"]] * 3
    assert [e["delivered"] for e in inbox(engine, "late")] == [["backfill"]] * 3

    edit = run(any_db_url, "alerts", "edit", "late", "--email", "late@example.eu", "--webhook", hook)
    assert edit.exit_code == 0, edit.output
    deliver = run(any_db_url, "alerts", "deliver", "--smtp", smtp_url)
    assert deliver.exit_code == 0, deliver.output
    assert json.loads(deliver.output) == {"emails": 0, "webhooks": 0, "failed": [], "trend_firings": 0}
    assert box.messages == [] and server.posts == []

    # at ingest afterwards: a new copy of a backfilled story adds nothing; a new story is a match, and sent
    copy = add_article(engine, "opex360", "NATO Mission Iraq expands", "NATO Mission Iraq.", story_id=ids["older"])
    new = add_article(engine, "b2", "NATO Mission Iraq ends", "NATO Mission Iraq ends its work.")
    assert match_new_articles(engine, [copy, new]) == 3  # one per alert: the new story only
    deliver = run(any_db_url, "alerts", "deliver", "--smtp", smtp_url)
    assert deliver.exit_code == 0, deliver.output
    # nmi: e-mail + webhook; daily: its first digest is due (the backfill is not an e-mail sent); late: both
    assert json.loads(deliver.output) == {"emails": 3, "webhooks": 2, "failed": [], "trend_firings": 0}
    assert sorted(m["To"] for m in box.messages) == ["analyst@example.eu", "desk@example.eu", "late@example.eu"]
    assert all(f"story-{new}@" in m["Message-ID"] for m in box.messages)
    assert sorted(key for key, _ in server.posts) == [f"alert-1-story-{new}", f"alert-3-story-{new}"]
    assert [e["delivered"] for e in inbox(engine, "nmi")][0] == ["email", "webhook"]
    assert len(stories_in_inbox(engine, "nmi")) == 4
    again = run(any_db_url, "alerts", "deliver", "--smtp", smtp_url)
    assert json.loads(again.output)["emails"] == 0 and len(box.messages) == 3 and len(server.posts) == 2


def test_backfill_on_a_trend_alert_is_a_clear_error(any_db_url: str) -> None:
    engine = connect(any_db_url)
    store_history(engine)
    result = run(any_db_url, "alerts", "add", "spike", "--trend", "topic:nato", "--backfill")
    assert result.exit_code == 2
    assert "--backfill" in result.output and "trend alert (--trend) matches no stories" in result.output
    assert run(any_db_url, "alerts", "show", "spike").exit_code != 0  # nothing was created
    zero = run(any_db_url, "alerts", "add", "nmi", QUERY, "--backtest-days", "0", "--backfill")
    assert zero.exit_code == 2 and "--backtest-days" in zero.output and "at least 1" in zero.output
    add_alert(engine, "spike", trend={"dimension": "topic", "key": "nato"})
    with pytest.raises(AlertError, match="'spike' is a trend alert"):
        backfill(engine, "spike")
    with pytest.raises(AlertError, match="no alert named 'nope'"):
        backfill(engine, "nope")
