"""Trend alerts fire and are delivered: a flat baseline over four weeks and one spike day, measured per topic and
language, sent once by e-mail (aiosmtpd) and webhook (a real receiver) on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import date, datetime, time, timedelta, timezone

import pytest

from monitor.alerts import (AlertError, add_alert, deliver, evaluate_trends, match_new_articles, set_muted,
                            trend_firings)
from monitor.db import connect
from tests.alert_receivers import receiver, smtp  # noqa: F401 - fixtures
from tests.conftest import REPO, run_monitor
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture

DAY = datetime.now(timezone.utc).date()  # the spike day: today, so `monitor alerts deliver` (real clock) sees it
TOPIC = "nato-iraq-mission"


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), timezone.utc)


def store_history(engine, spike: int = 12) -> None:
    """Four French articles on the topic each of the 28 days before DAY, ``spike`` on DAY, and noise on DAY
    that the alert's selection must not count (English articles on the topic, French ones on another topic)."""
    for back in range(1, 29):
        for n in range(4):
            add_article(engine, "b2", f"NMI {back}-{n}", "x", language="fr", topics=(TOPIC,),
                        published=at(DAY - timedelta(days=back), 8 + n))
    for n in range(spike):
        add_article(engine, "b2", f"NMI spike {n}", "x", language="fr", topics=(TOPIC,),
                    published=at(DAY, 0) + timedelta(minutes=n))
    for n in range(6):
        add_article(engine, "nato", f"NMI en {n}", "x", language="en", topics=(TOPIC,), published=at(DAY, 0))
        add_article(engine, "b2", f"CSDP {n}", "x", language="fr", topics=("csdp",), published=at(DAY, 0))


def test_a_spike_fires_once_with_its_baseline_on_every_channel(any_db_url: str, smtp, receiver) -> None:
    smtp_url, box = smtp
    hook, server = receiver
    engine = connect(any_db_url)
    store_history(engine)
    added = run_monitor("alerts", "add", "nmi-spike", "--trend", f"topic:{TOPIC}", "--lang", "fr", "--z", "3",
                        "--baseline-days", "28", "--email", "analyst@example.eu", "--webhook", hook,
                        "--backtest-days", "20", "--db", any_db_url)
    assert added.returncode == 0, added.stderr
    backtest = json.loads(added.stdout)["backtest"]
    # the flat days would not have fired (the first days of the history would: their baselines are mostly zeros)
    assert [f["day"] for f in backtest["firings"]] == [DAY.isoformat()]

    # a flat day (yesterday, and the day before): 4 articles against a baseline of ~4, nothing fires
    flat = deliver(engine, smtp_url=smtp_url, now=at(DAY - timedelta(days=1)))
    assert flat.to_dict() == {"emails": 0, "webhooks": 0, "failed": [], "trend_firings": 0}

    result = run_monitor("alerts", "deliver", env={"MONITOR_DB_URL": any_db_url, "MONITOR_SMTP_URL": smtp_url})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"emails": 1, "webhooks": 1, "failed": [], "trend_firings": 1}

    key = f"alert-1-trend-{DAY.isoformat()}"
    [message] = box.messages
    assert message["Message-ID"] == f"<{key}@monitor.invalid>"
    assert message["Subject"] == f"[nmi-spike] spike on {DAY.isoformat()}: 12 articles, z 8"
    plain = message.get_body(("plain",)).get_content()
    start, end = DAY - timedelta(days=28), DAY - timedelta(days=1)
    for line in ("Selection: topic:nato-iraq-mission lang:fr", f"Day (UTC): {DAY.isoformat()}: 12 articles",
                 "Baseline: mean 4, std-dev 1 (floored at 1)",
                 f"Measured against: 28 days, {start.isoformat()} to {end.isoformat()}",
                 "z-score: 8 (fires at 3)"):
        assert line in plain
    assert "<th>Baseline</th><td>mean 4, std-dev 1 (floored at 1)</td>" in message.get_body(("html",)).get_content()
    [(posted_key, body)] = server.posts
    assert posted_key == key and body["key"] == key and body["alert"] == "nmi-spike"
    trend = body["trend"]
    assert (trend["day"], trend["count"], trend["baseline_mean"], trend["baseline_std"], trend["z"]) == (
        DAY.isoformat(), 12, 4.0, 1.0, 8.0)
    assert (trend["baseline_days"], trend["baseline_start"], trend["baseline_end"]) == (
        28, start.isoformat(), end.isoformat())

    # more articles the same day, later runs and the next day: nothing is sent twice
    add_article(engine, "b2", "NMI late", "x", language="fr", topics=(TOPIC,), published=at(DAY, 0))
    for now in (at(DAY, 23), at(DAY + timedelta(days=1), 1)):
        assert deliver(engine, smtp_url=smtp_url, now=now).to_dict() == {
            "emails": 0, "webhooks": 0, "failed": [], "trend_firings": 0}
    assert len(box.messages) == 1 and len(server.posts) == 1

    [entry] = trend_firings(engine, "nmi-spike")
    assert (entry["count"], entry["delivered"]) == (12, ["email", "webhook"])
    inbox = run_monitor("alerts", "inbox", "nmi-spike", "--db", any_db_url)
    assert inbox.returncode == 0 and f"{start.isoformat()}..{end.isoformat()}" in inbox.stdout
    feed = run_monitor("alerts", "feed", "nmi-spike", "--db", any_db_url)
    assert feed.returncode == 0 and feed.stdout.count("<entry>") == 1
    assert f"urn:monitor:alert:1:trend:{DAY.isoformat()}" in feed.stdout and "mean 4, std-dev 1" in feed.stdout


def test_selection_by_language_and_source_and_muting(any_db_url: str, smtp) -> None:
    smtp_url, box = smtp
    engine = connect(any_db_url)
    store_history(engine, spike=5)  # 5 against a baseline of 4: z 1, no spike for the topic
    add_alert(engine, "topic", trend={"dimension": "topic", "key": TOPIC, "z": 3}, filters={"languages": ["fr"]},
              delivery={"email": "a@example.eu"})
    # French volume: 4 a day, then 5 + 6 CSDP = 11 on DAY (z 7); the English noise is outside the selection
    add_alert(engine, "fr", trend={"dimension": "language", "key": "fr", "z": 3}, delivery={"email": "a@example.eu"})
    # source nato: nothing before DAY, 6 on DAY (baseline 0, std floored at 1: z 6)
    add_alert(engine, "nato-src", trend={"dimension": "source", "key": "nato", "z": 3, "min_count": 6},
              delivery={"email": "a@example.eu"}, muted=True)
    old = add_article(engine, "b2", "NMI", "x", language="fr", topics=(TOPIC,), published=at(DAY - timedelta(days=400)))
    assert match_new_articles(engine, [old]) == 0  # trend alerts match no stories at ingest
    assert deliver(engine, smtp_url=smtp_url, now=at(DAY)).to_dict() == {
        "emails": 1, "webhooks": 0, "failed": [], "trend_firings": 2}
    [message] = box.messages
    assert message["Subject"] == f"[fr] spike on {DAY.isoformat()}: 11 articles, z 7"
    assert trend_firings(engine, "topic") == []
    [muted] = trend_firings(engine, "nato-src")  # a muted alert still records its firing, sends nothing
    assert (muted["count"], muted["baseline_mean"], muted["z"], muted["delivered"]) == (6, 0.0, 6.0, [])
    set_muted(engine, "nato-src", False)
    assert deliver(engine, smtp_url=smtp_url, now=at(DAY, 13)).emails == 1
    assert deliver(engine, smtp_url=smtp_url, now=at(DAY, 14)).emails == 0
    with pytest.raises(AlertError, match="not a topic"):
        add_alert(engine, "bad", trend={"dimension": "topic", "key": "no-such-topic"})
    with pytest.raises(AlertError, match="baseline_days"):
        add_alert(engine, "bad", trend={"dimension": "topic", "key": TOPIC, "baseline_days": 3})
    with pytest.raises(AlertError, match="digest"):
        add_alert(engine, "bad", trend={"dimension": "topic", "key": TOPIC}, delivery={"digest": "daily"})
    bad = run_monitor("alerts", "add", "bad", "--trend", "colour:red", "--db", any_db_url)
    assert bad.returncode != 0 and "topic:ID, lang:CODE or source:NAME" in bad.stderr


CRASH_SCRIPT = """
import sys
from datetime import datetime
from monitor.db import connect
from monitor.alerts import deliver
deliver(connect(sys.argv[1]), smtp_url=sys.argv[2], retries=0, now=datetime.fromisoformat(sys.argv[3]))
"""


def test_a_firing_survives_crashes_between_evaluation_and_delivery(any_db_url: str, smtp, receiver) -> None:
    smtp_url, box = smtp
    hook, server = receiver
    engine = connect(any_db_url)
    store_history(engine)
    add_alert(engine, "nmi-spike", trend={"dimension": "topic", "key": TOPIC}, filters={"languages": ["fr"]},
              delivery={"email": "a@example.eu", "webhook": hook})
    # the process evaluated, committed the firing and died before sending anything
    assert evaluate_trends(engine, at(DAY)) == 1
    assert evaluate_trends(engine, at(DAY, 13)) == 0
    assert [f["delivered"] for f in trend_firings(engine, "nmi-spike")] == [[]]
    # the next run is killed while the webhook receiver holds its POST (the e-mail went out and was recorded)
    server.hold_after = 0
    proc = subprocess.Popen([sys.executable, "-c", CRASH_SCRIPT, any_db_url, smtp_url, at(DAY, 14).isoformat()],
                            cwd=REPO, env={**os.environ})
    assert server.holding.wait(60)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert len(box.messages) == 1 and server.posts == []
    assert [f["delivered"] for f in trend_firings(engine, "nmi-spike")] == [["email"]]
    server.hold_after = None
    report = deliver(engine, smtp_url=smtp_url, now=at(DAY, 15))
    assert report.to_dict() == {"emails": 0, "webhooks": 1, "failed": [], "trend_firings": 0}
    assert [k for k, _ in server.posts] == [f"alert-1-trend-{DAY.isoformat()}"] and len(box.messages) == 1
