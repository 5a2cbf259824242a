"""``monitor db prune``: old crawl runs go, each source's newest stay, nothing else is touched."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from monitor.db import connect
from monitor.db.models import CrawlRun
from monitor.db.retention import ABANDONED_AFTER, prune_runs, runs_to_prune
from tests.conftest import run_monitor
from tests.db_fixtures import db_url  # noqa: F401 - every test here runs on SQLite and PostgreSQL

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def add_runs(engine, source: str, days_ago: list[int]) -> None:
    with engine.begin() as connection:
        connection.execute(CrawlRun.__table__.insert(), [
            {"run_key": f"{source}-{d}", "source": source, "started": NOW - timedelta(days=d), "status": "finished",
             "items_stored": 0, "stats": {"n": d}} for d in days_ago])


def ages(engine, source: str) -> list[int]:
    with engine.connect() as connection:
        started = connection.execute(select(CrawlRun.started).where(CrawlRun.source == source)
                                     .order_by(CrawlRun.started.desc())).scalars().all()
    return [(NOW - s).days for s in started]


def test_prune_keeps_each_sources_newest_runs_whatever_their_age(db_url: str) -> None:
    engine = connect(db_url)
    add_runs(engine, "busy", [1, 2, 100, 101, 102, 103])
    add_runs(engine, "quiet", [200, 300, 400])  # a source not crawled for months keeps its last runs
    pruned = prune_runs(engine, NOW - timedelta(days=90), keep=2)
    assert pruned == {"busy": 4, "quiet": 1}
    assert ages(engine, "busy") == [1, 2] and ages(engine, "quiet") == [200, 300]
    assert prune_runs(engine, NOW - timedelta(days=90), keep=0) == {"quiet": 2}
    assert ages(engine, "quiet") == []


def test_prune_keeps_a_running_row_while_its_crawl_may_run_and_removes_an_abandoned_one(db_url: str) -> None:
    """A 'running' row a killed crawl or worker left would otherwise stay forever."""
    engine = connect(db_url)
    with engine.begin() as connection:
        connection.execute(CrawlRun.__table__.insert(), [
            {"run_key": f"r{d}", "source": "s", "status": "running", "started": NOW - timedelta(days=d),
             "items_stored": 0, "stats": {}} for d in (1, 3, 500)])
    assert len(runs_to_prune(engine, NOW, keep=0, now=NOW + ABANDONED_AFTER)) == 3  # the bound counts from now
    assert prune_runs(engine, NOW - timedelta(hours=1), keep=0) == {"s": 2}
    assert ages(engine, "s") == [1]


def test_prune_command_dry_run_deletes_nothing_and_a_bad_age_is_named(db_url: str) -> None:
    engine = connect(db_url)
    add_runs(engine, "busy", [1, 100, 101])
    dry = run_monitor("db", "prune", "--runs-older-than", "90d", "--keep-runs", "1", "--dry-run", "--db", db_url)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout) | {"before": None} == {"before": None, "dry_run": True, "runs_deleted": 2,
                                                          "by_source": {"busy": 2}}
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(CrawlRun)).scalar_one() == 3
    real = run_monitor("db", "prune", "--runs-older-than", "13w", "--keep-runs", "1", "--db", db_url)
    assert real.returncode == 0 and json.loads(real.stdout)["runs_deleted"] == 2 and ages(engine, "busy") == [1]
    bad = run_monitor("db", "prune", "--runs-older-than", "1y", "--db", db_url)
    assert bad.returncode == 2 and "--runs-older-than" in bad.stderr and "'1y'" in bad.stderr
