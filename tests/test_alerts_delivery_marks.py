"""Delivery marks (``alert_delivery_marks``, migration a004): ``deliver`` reads only the matches above each
alert's mark on each channel, yet keeps every delivery guarantee: a failed send stays pending, a match that
commits late with a lower id (PostgreSQL) or takes a deleted match's id (SQLite) is still sent, backfilled
matches never are, a channel added later gets the past matches, and databases from before a004 lose nothing.
SQLite and PostgreSQL, a real SMTP server (aiosmtpd) and a real webhook receiver."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from alembic import command
from sqlalchemy import Engine, event, inspect, select, text

from monitor.alerts import add_alert, backfill, deliver, edit_alert, inbox, match_new_articles
from monitor.alerts.matching import match_articles
from monitor.alerts.models import AlertDelivery, AlertDeliveryMark, AlertMatch
from monitor.db import connect, upgrade
from monitor.db.migrate import alembic_config, current_revision, head_revision
from tests.alert_receivers import receiver, smtp  # noqa: F401 - fixtures
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def marks(engine: Engine) -> dict[tuple[int, str], int]:
    """Every stored mark: (alert id, channel) -> through_match_id."""
    with engine.connect() as connection:
        rows = connection.execute(select(AlertDeliveryMark.alert_id, AlertDeliveryMark.channel,
                                         AlertDeliveryMark.through_match_id)).all()
    return {(r.alert_id, r.channel): r.through_match_id for r in rows}


def match_ids(engine: Engine, alert_id: int) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(select(AlertMatch.id).where(AlertMatch.alert_id == alert_id)
                                       .order_by(AlertMatch.id)).scalars())


def story(engine: Engine, word: str) -> int:
    """One stored article whose title carries ``word``; returns its id."""
    return add_article(engine, "b2", f"{word} report", f"The {word} report was published.")


def posted(server) -> list[str]:
    """The idempotency keys the webhook receiver accepted, in order."""
    return [key for key, _ in server.posts]


def test_a_failed_webhook_stays_pending_below_the_mark_and_is_sent_next_run(any_db_url: str, smtp,
                                                                              receiver) -> None:
    smtp_url, box = smtp
    hook, server = receiver
    engine = connect(any_db_url)
    alert = add_alert(engine, "frontex", "frontex", delivery={"email": "desk@example.eu", "webhook": hook})
    first = story(engine, "frontex alpha")
    match_new_articles(engine, [first])
    assert deliver(engine, smtp_url=smtp_url, retries=0).to_dict() == {"emails": 1, "webhooks": 1, "failed": [],
                                                                       "trend_firings": 0}
    [alpha] = match_ids(engine, alert)
    assert marks(engine) == {(alert, "email"): alpha, (alert, "webhook"): alpha}

    later = [story(engine, f"frontex {w}") for w in ("bravo", "charlie", "delta")]
    match_new_articles(engine, later)
    delta = match_ids(engine, alert)[-1]
    server.fail_first = 1  # the receiver answers 503 to bravo's POST; charlie and delta are accepted
    report = deliver(engine, smtp_url=smtp_url, retries=0)
    assert (report.emails, report.webhooks) == (3, 2) and len(report.failed) == 1
    assert f"webhook alert-{alert}-story-{later[0]}" in report.failed[0]
    # e-mail is through delta; the webhook's mark stays below bravo, the oldest match still pending on it
    assert marks(engine) == {(alert, "email"): delta, (alert, "webhook"): alpha}

    report = deliver(engine, smtp_url=smtp_url, retries=0)
    assert (report.emails, report.webhooks, report.failed) == (0, 1, [])
    assert posted(server) == [f"alert-{alert}-story-{s}" for s in (first, later[1], later[2], later[0])]
    assert len(box.messages) == 4  # each story e-mailed once
    assert marks(engine) == {(alert, "email"): delta, (alert, "webhook"): delta}
    assert deliver(engine, smtp_url=smtp_url, retries=0).to_dict()["webhooks"] == 0
    assert [e["delivered"] for e in inbox(engine, "frontex")] == [["email", "webhook"]] * 4


def test_a_match_committed_late_with_a_lower_id_is_still_delivered(postgres_url: str, receiver) -> None:
    """PostgreSQL takes an id at INSERT: a flush that inserted first and commits last exposes a lower id
    after a higher one was delivered; the mark must not have moved past it."""
    hook, server = receiver
    engine = connect(postgres_url)
    alert = add_alert(engine, "frontex", "frontex", delivery={"webhook": hook})
    early, late = story(engine, "frontex early"), story(engine, "frontex late")
    with engine.connect() as flush:
        with flush.begin():  # an ingest flush, still open: its match has an id but is not committed
            match_articles(flush, [early])
            match_new_articles(engine, [late])  # another flush takes the next id and commits at once
            assert deliver(engine, retries=0).webhooks == 1
            assert posted(server) == [f"alert-{alert}-story-{late}"]
            assert marks(engine) == {}  # a flush was writing matches: no mark moved
    [low, high] = match_ids(engine, alert)
    assert low < high
    assert deliver(engine, retries=0).webhooks == 1
    assert posted(server) == [f"alert-{alert}-story-{late}", f"alert-{alert}-story-{early}"]
    assert marks(engine) == {(alert, "webhook"): high}


def test_a_match_taking_a_deleted_matchs_id_is_delivered(any_db_url: str, receiver) -> None:
    """SQLite gives a new row ``max(id) + 1``: once the newest match is deleted (its article deleted), the
    next match takes its id, which the mark names; the mark is then stale, and dropped."""
    hook, server = receiver
    engine = connect(any_db_url)
    alert = add_alert(engine, "frontex", "frontex", delivery={"webhook": hook})
    kept, deleted = story(engine, "frontex kept"), story(engine, "frontex deleted")
    match_new_articles(engine, [kept, deleted])
    assert deliver(engine, retries=0).webhooks == 2
    [_, newest] = match_ids(engine, alert)
    assert marks(engine) == {(alert, "webhook"): newest}
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM articles WHERE id = :id"), {"id": deleted})  # cascades to the match
    new = story(engine, "frontex new")
    match_new_articles(engine, [new])
    [_, taken] = match_ids(engine, alert)
    if engine.dialect.name == "sqlite":
        assert taken == newest  # the case this test is about
    assert deliver(engine, retries=0).webhooks == 1
    assert posted(server)[-1] == f"alert-{alert}-story-{new}" and len(server.posts) == 3
    assert marks(engine) == {(alert, "webhook"): taken}
    assert deliver(engine, retries=0).webhooks == 0


def test_backfilled_matches_are_never_sent_and_the_marks_pass_them(any_db_url: str, smtp, receiver) -> None:
    smtp_url, box = smtp
    hook, server = receiver
    engine = connect(any_db_url)
    old = [story(engine, f"frontex {w}") for w in ("one", "two", "three")]
    both = add_alert(engine, "both", "frontex", delivery={"email": "desk@example.eu", "webhook": hook})
    late = add_alert(engine, "late", "frontex")  # no channel yet: one is added below
    assert backfill(engine, "both") == 3 and backfill(engine, "late") == 3
    assert deliver(engine, smtp_url=smtp_url).to_dict() == {"emails": 0, "webhooks": 0, "failed": [],
                                                            "trend_firings": 0}
    newest = match_ids(engine, both)[-1]
    assert marks(engine) == {(both, "email"): newest, (both, "webhook"): newest}

    edit_alert(engine, "late", delivery={"webhook": hook})
    assert deliver(engine, smtp_url=smtp_url).webhooks == 0  # a new channel: all read once, none pending
    assert marks(engine)[(late, "webhook")] == match_ids(engine, late)[-1]
    new = story(engine, "frontex four")
    match_new_articles(engine, [new])
    assert deliver(engine, smtp_url=smtp_url).to_dict() == {"emails": 1, "webhooks": 2, "failed": [],
                                                            "trend_firings": 0}
    assert sorted(posted(server)) == [f"alert-{both}-story-{new}", f"alert-{late}-story-{new}"]
    assert all(f"story-{new}@" in m["Message-ID"] for m in box.messages) and not set(old) & {new}


def test_a_channel_added_later_gets_the_past_matches(any_db_url: str, smtp, receiver) -> None:
    """Today's behaviour, kept: with no mark on the new channel every past match (not backfilled) is pending."""
    smtp_url, box = smtp
    hook, server = receiver
    engine = connect(any_db_url)
    alert = add_alert(engine, "frontex", "frontex", delivery={"email": "desk@example.eu"})
    ids = [story(engine, f"frontex {w}") for w in ("one", "two")]
    match_new_articles(engine, ids)
    assert deliver(engine, smtp_url=smtp_url).emails == 2
    edit_alert(engine, "frontex", delivery={"email": "desk@example.eu", "webhook": hook})
    assert deliver(engine, smtp_url=smtp_url).to_dict() == {"emails": 0, "webhooks": 2, "failed": [],
                                                            "trend_firings": 0}
    assert posted(server) == [f"alert-{alert}-story-{i}" for i in ids] and len(box.messages) == 2
    newest = match_ids(engine, alert)[-1]
    assert marks(engine) == {(alert, "email"): newest, (alert, "webhook"): newest}
    with engine.begin() as connection:  # deleting the alert deletes its marks
        connection.execute(text("DELETE FROM alerts WHERE id = :id"), {"id": alert})
    assert marks(engine) == {}


def test_a_digest_not_due_keeps_the_mark_below_its_stories(any_db_url: str, smtp) -> None:
    smtp_url, box = smtp
    engine = connect(any_db_url)
    alert = add_alert(engine, "border", "frontex", delivery={"email": "desk@example.eu", "digest": "hourly"})
    match_new_articles(engine, [story(engine, "frontex alpha")])
    assert deliver(engine, smtp_url=smtp_url, now=T0).emails == 1
    [first] = match_ids(engine, alert)
    match_new_articles(engine, [story(engine, f"frontex {w}") for w in ("bravo", "charlie")])
    assert deliver(engine, smtp_url=smtp_url, now=T0 + timedelta(minutes=5)).emails == 0  # not due
    assert marks(engine) == {(alert, "email"): first}
    assert deliver(engine, smtp_url=smtp_url, now=T0 + timedelta(hours=1)).emails == 1
    assert marks(engine) == {(alert, "email"): match_ids(engine, alert)[-1]}
    assert box.messages[1]["Subject"] == "[border] 2 new stories"


@dataclass
class Read:
    """One executed statement: its SQL, the driver's parameters and the same by bound name."""

    statement: str
    parameters: Any
    named: dict[str, Any]


@contextmanager
def pending_reads(engine: Engine) -> Iterator[list[Read]]:
    """Every statement that looks for pending matches while inside."""
    seen: list[Read] = []

    def record(connection, cursor, statement, parameters, context, executemany) -> None:
        if "FROM alert_matches" in statement and "NOT (EXISTS" in statement:
            seen.append(Read(statement, parameters, dict(context.compiled_parameters[0])))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_run_reads_only_the_matches_above_the_marks(any_db_url: str, smtp, receiver) -> None:
    smtp_url, box = smtp
    hook, server = receiver
    engine = connect(any_db_url)
    alerts = [add_alert(engine, f"a{n}", f"word{n}", delivery={"email": "desk@example.eu", "webhook": hook})
              for n in range(3)]
    match_new_articles(engine, [story(engine, f"word{n} {i}") for i in range(4) for n in range(3)])
    assert deliver(engine, smtp_url=smtp_url).to_dict() == {"emails": 12, "webhooks": 12, "failed": [],
                                                            "trend_firings": 0}
    newest = {a: match_ids(engine, a)[-1] for a in alerts}
    assert marks(engine) == {(a, c): newest[a] for a in alerts for c in ("email", "webhook")}
    # a probe: an old match (below its alert's mark) loses its delivery rows by hand; the full scan
    # this replaces would send it again, a run that reads only above the marks never sees it
    probe = match_ids(engine, alerts[0])[1]
    with engine.begin() as connection:
        connection.execute(AlertDelivery.__table__.delete().where(AlertDelivery.match_id == probe))
    with pending_reads(engine) as seen:
        assert deliver(engine, smtp_url=smtp_url).to_dict() == {"emails": 0, "webhooks": 0, "failed": [],
                                                                "trend_firings": 0}
    # one read per alert and channel, each bounded below by the mark (its alert's newest match) ...
    assert sorted((r.named["alert_id"], r.named["channel"], r.named["above"]) for r in seen) == sorted(
        (a, c, newest[a]) for a in alerts for c in ("email", "webhook"))
    with engine.connect() as connection:
        for read in seen:  # ... selecting no row, through an index range that starts at the mark
            assert connection.exec_driver_sql(read.statement, read.parameters).all() == []
            if engine.dialect.name == "sqlite":
                plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + read.statement, read.parameters).all()
                assert any("ix_alert_matches_alert_id (alert_id=? AND id>?)" in row[-1] for row in plan), plan
    assert len(box.messages) == 12 and len(server.posts) == 12


def test_the_migration_keeps_undelivered_matches_pending(any_db_url: str, smtp, receiver) -> None:
    """A database at a003 with delivered, undelivered and backfilled matches: after a004 the first run sends
    exactly what was pending; a004 downgrades and upgrades again."""
    smtp_url, box = smtp
    hook, server = receiver
    engine = connect(any_db_url)
    alert = add_alert(engine, "frontex", "frontex", delivery={"email": "desk@example.eu", "webhook": hook})
    command.downgrade(alembic_config(engine), "a003")
    assert "alert_delivery_marks" not in inspect(engine).get_table_names()
    ids = [story(engine, f"frontex {w}") for w in ("sent", "mailed", "new", "old")]
    match_new_articles(engine, ids)
    sent, mailed, new, old = match_ids(engine, alert)
    rows = [(sent, "email", "k"), (sent, "webhook", "k"), (mailed, "email", "k"), (old, "email", "backfill-k")]
    with engine.begin() as connection:  # as delivery and backfill recorded them before a004
        connection.execute(AlertDelivery.__table__.insert(), [
            {"match_id": m, "channel": c, "key": k, "delivered_at": T0} for m, c, k in rows])
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    indexes = {i["name"] for i in inspect(engine).get_indexes("alert_matches")}
    assert {"ix_alert_matches_article", "ix_alert_matches_alert_id"} <= indexes
    assert deliver(engine, smtp_url=smtp_url).to_dict() == {"emails": 1, "webhooks": 2, "failed": [],
                                                            "trend_firings": 0}
    assert posted(server) == [f"alert-{alert}-story-{ids[1]}", f"alert-{alert}-story-{ids[2]}"]
    assert [m["Message-ID"] for m in box.messages] == [f"<alert-{alert}-story-{ids[2]}@monitor.invalid>"]
    assert marks(engine) == {(alert, "email"): old, (alert, "webhook"): old}
    command.downgrade(alembic_config(engine), "a003")
    indexes = {i["name"] for i in inspect(engine).get_indexes("alert_matches")}
    assert "alert_delivery_marks" not in inspect(engine).get_table_names() and "ix_alert_matches_article" not in indexes
    upgrade(engine)
    assert deliver(engine, smtp_url=smtp_url).to_dict()["webhooks"] == 0  # marks start over: nothing is pending
    assert marks(engine) == {(alert, "email"): old, (alert, "webhook"): old}
