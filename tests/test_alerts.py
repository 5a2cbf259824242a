"""Alerts end to end against a real SMTP server (aiosmtpd) and a real webhook receiver on loopback:
one entry per story, versioned edits, backtests, crash-safe delivery and trend spikes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from monitor.alerts import (add_alert, backtest, deliver, edit_alert, inbox, match_new_articles, set_muted,
                            show_alert, spikes)
from monitor.db import connect
from tests.alert_receivers import receiver, smtp  # noqa: F401 - fixtures
from tests.conftest import REPO, run_monitor
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture

NOW = datetime.now(timezone.utc)
EVIL = '<script>alert("x")</script> NATO Mission Iraq & co'


def store_syndicated_story(engine) -> list[int]:
    """One NATO Mission Iraq story run by 3 outlets (sharing story_id), plus an unrelated article."""
    first = add_article(engine, "nato", EVIL, "NATO Mission Iraq advises Iraqi institutions.",
                        topics=("nato-iraq-mission", "nato"))
    copies = [add_article(engine, src, "NATO Mission Iraq expands", "NATO Mission Iraq advises.",
                          topics=("nato-iraq-mission",), story_id=first) for src in ("b2", "euractiv")]
    with engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE articles SET story_id = {first} WHERE id = {first}")
    other = add_article(engine, "b2", "Sanctions", "EU sanctions.", topics=("sanctions",))
    return [first, *copies, other]


def test_one_email_and_one_post_for_a_story_in_three_outlets(any_db_url: str, smtp, receiver) -> None:
    smtp_url, box = smtp
    hook, server = receiver
    server.fail_first = 1  # the first POST gets a 503: retried with backoff
    engine = connect(any_db_url)
    add_alert(engine, "nmi", "topic:nato-iraq-mission",
              delivery={"email": "analyst@example.eu", "webhook": hook})
    ids = store_syndicated_story(engine)
    assert match_new_articles(engine, ids) == 1
    assert match_new_articles(engine, ids) == 0  # re-running changes nothing
    report = deliver(engine, smtp_url=smtp_url, backoff=0.01)
    assert (report.emails, report.webhooks, report.failed) == (1, 1, [])
    assert deliver(engine, smtp_url=smtp_url).to_dict() == {"emails": 0, "webhooks": 0, "failed": [],
                                                            "trend_firings": 0}
    assert len(box.messages) == 1 and len(server.posts) == 1 and server.calls == 2
    message = box.messages[0]
    assert message["Message-ID"] == f"<alert-1-story-{ids[0]}@monitor.invalid>"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "also in 2 outlets" in plain and "also in 2 outlets" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    key, body = server.posts[0]
    assert key == f"alert-1-story-{ids[0]}" and body["entry"]["also_in"] == 2
    entries = inbox(engine, "nmi")
    assert len(entries) == 1 and entries[0]["delivered"] == ["email", "webhook"]


def test_versions_mute_backtest_and_feed(any_db_url: str, smtp) -> None:
    smtp_url, box = smtp
    engine = connect(any_db_url)
    ids = store_syndicated_story(engine)
    old = add_article(engine, "b2", "Sanctions again", "EU sanctions on Iran.", published=NOW - timedelta(days=20))
    assert backtest(engine, "sanctions", days=30)["stories"] == 2
    assert backtest(engine, "sanctions", days=7)["stories"] == 1
    add_alert(engine, "s", "sanctions", delivery={"email": "a@example.eu"})
    match_new_articles(engine, ids + [old])
    assert edit_alert(engine, "s", query="nato") == 2
    match_new_articles(engine, ids)
    history = show_alert(engine, "s")["history"]
    assert [(v["version"], v["query"], v["matches"]) for v in history] == [(1, "sanctions", 2), (2, "nato", 1)]
    set_muted(engine, "s")
    assert deliver(engine, smtp_url=smtp_url).emails == 0 and box.messages == []
    result = run_monitor("alerts", "feed", "s", env={"MONITOR_DB_URL": any_db_url})
    assert result.returncode == 0 and result.stdout.count("<entry>") == 3 and "&lt;script&gt;" in result.stdout
    with pytest.raises(ValueError, match="digest"):
        add_alert(engine, "bad", "nato", delivery={"digest": "weekly"})
    with pytest.raises(ValueError, match="line 1, column"):
        add_alert(engine, "bad", "(nato")


def test_trend_spike_shows_its_baseline(any_db_url: str) -> None:
    engine = connect(any_db_url)
    today = NOW.replace(hour=12, minute=0, second=0, microsecond=0)
    for day in range(1, 29):
        add_article(engine, "b2", "x", "y", topics=("csdp",), published=today - timedelta(days=day))
    for _ in range(8):
        add_article(engine, "b2", "x", "y", topics=("csdp", "nato"), published=today)
    found = spikes(engine, day=today.date(), weeks=4)
    assert [s.key for s in found] == ["nato", "csdp"]
    csdp = found[1]
    assert (csdp.count, csdp.baseline_mean, csdp.baseline_days) == (8, 1.0, 28) and csdp.z >= 3


def test_topic_spikes_read_the_windows_articles_not_every_tag(tmp_path) -> None:
    """The topics page asks for every topic's spikes: that must cost the window, not the whole history."""
    from tests.sql_plans import plans_of

    engine = connect(f"sqlite:///{tmp_path / 'm.db'}")
    today = NOW.replace(hour=12, minute=0, second=0, microsecond=0)
    add_article(engine, "b2", "x", "y", topics=("csdp",), published=today - timedelta(days=400))
    add_article(engine, "b2", "x", "y", topics=("csdp", "nato"), published=today)
    found: list = []
    plans = plans_of(engine, tmp_path / "m.db", lambda: found.extend(spikes(engine, day=today.date(), min_count=1, min_z=1)),
                     table="articles")
    assert [s.key for s in found] == ["csdp", "nato"]
    assert plans and all("ix_articles_published" in plan and "SCAN" not in plan for _, plan in plans), plans


CRASH_SCRIPT = """
import sys
from monitor.db import connect
from monitor.alerts import match_new_articles, deliver
engine = connect(sys.argv[1])
print(match_new_articles(engine, [int(i) for i in sys.argv[3].split(',')]), flush=True)
deliver(engine, smtp_url=sys.argv[2], retries=0)
"""


def test_sigkill_between_send_and_commit_then_restart_delivers_everything_once(any_db_url: str, smtp,
                                                                                receiver) -> None:
    smtp_url, box = smtp
    hook, server = receiver
    engine = connect(any_db_url)
    ids = []
    for n in range(5):
        add_alert(engine, f"a{n}", f"word{n}", delivery={"email": "a@example.eu", "webhook": hook})
        ids.append(add_article(engine, "b2", f"word{n}", "text"))
    server.hold_after = 2  # the third POST hangs; the process is killed while waiting for it
    proc = subprocess.Popen([sys.executable, "-c", CRASH_SCRIPT, any_db_url, smtp_url, ",".join(map(str, ids))],
                            cwd=REPO, env={**os.environ}, stdout=subprocess.PIPE, text=True)
    assert server.holding.wait(60)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.stdout.readline().strip() == "5"  # all matched before the crash
    delivered_before = len(server.posts)
    assert delivered_before == 2
    server.hold_after = None
    result = run_monitor("alerts", "deliver", env={"MONITOR_DB_URL": any_db_url, "MONITOR_SMTP_URL": smtp_url})
    assert result.returncode == 0, result.stderr
    keys = [k for k, _ in server.posts]
    assert sorted(keys) == sorted(f"alert-{n + 1}-story-{ids[n]}" for n in range(5))  # every one, none twice
    message_ids = [m["Message-ID"] for m in box.messages]
    assert sorted(message_ids) == sorted(f"<alert-{n + 1}-story-{ids[n]}@monitor.invalid>" for n in range(5))
