"""``monitor demo``: the newcomer's first command, run as a newcomer would (default database in cwd)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.conftest import run_monitor
from tests.replica_truth import TRUTH_ARTICLES


def test_demo_crawls_the_replica_into_the_default_database(tmp_path: Path) -> None:
    env = {"MONITOR_DB_URL": "", "MONITOR_DATA_DIR": ""}
    first = run_monitor("demo", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "Articles per source and language" in first.stdout
    assert "nato-iraq-mission" in first.stdout
    for source in ("b2", "nato", "eeas", "defnews"):
        assert source in first.stdout
    database = tmp_path / "monitor.sqlite"
    assert database.exists()
    with sqlite3.connect(database) as connection:
        (count,) = connection.execute("select count(*) from articles").fetchone()
        languages = {row[0] for row in connection.execute("select distinct language from articles")}
    assert count == len(TRUTH_ARTICLES)
    assert {"en", "fr", "de"} <= languages
    assert f"{count} articles in the database." in first.stdout

    second = run_monitor("demo", "--json", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr[-3000:]
    report = json.loads(second.stdout)
    assert sum(run["stored"] for run in report["runs"]) == 0
    # the replica is back on the same port (monitor.demo.DEMO_PORT): its pages are known, none is fetched again
    assert sum(run["article_requests"] for run in report["runs"]) == 0
    assert sum(run["not_modified"] for run in report["runs"]) >= 4
    assert report["total_articles"] == count
    assert any(t["topic"] == "nato-iraq-mission" and t["articles"] > 0 for t in report["topics"])
