"""Alerts fill at ingest: an alert created before a crawl of the replica holds every matching story once."""

from __future__ import annotations

import json

from monitor.replica import CATALOGUE, ReplicaServer
from tests.conftest import run_monitor
from tests.replica_truth import TRUTH_ARTICLES


def test_an_alert_fills_as_the_replica_is_crawled(replica: ReplicaServer, db_url: str) -> None:
    added = run_monitor("alerts", "add", "nmi", "topic:nato-iraq-mission", "--backtest-days", "0", "--db", db_url)
    assert added.returncode == 0, added.stderr
    french = run_monitor("alerts", "add", "nmi-fr", "topic:nato-iraq-mission", "--lang", "fr",
                         "--backtest-days", "0", "--db", db_url)
    assert french.returncode == 0, french.stderr
    crawled = run_monitor("crawl", "--catalogue", str(CATALOGUE), "--base-url", replica.base_url, "--db", db_url,
                          "--set", "AUTOTHROTTLE_ENABLED=False")
    assert crawled.returncode == 0, crawled.stderr[-2000:]

    def inbox(name: str) -> list[dict]:
        result = run_monitor("alerts", "inbox", name, "--json", "--limit", "500", "--db", db_url)
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    expected = [t for t in TRUTH_ARTICLES if "nato-iraq-mission" in t["topics"]]
    assert len(inbox("nmi")) == len(expected)
    assert len(inbox("nmi-fr")) == len([t for t in expected if t["language"] == "fr"]) > 0
