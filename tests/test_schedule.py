"""The scheduler end to end: real `monitor crawl` processes against the replica, rounds, crashes, SIGTERM, status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.catalogue import load_catalogue
from monitor.db import connect
from monitor.db.models import CrawlRun
from monitor.replica import CATALOGUE, ReplicaServer
from monitor.schedule.daemon import Scheduler, SchedulerOptions, catalogue_problem
from monitor.crawl.pool_size import pool_size
from monitor.schedule.launchers import LocalLauncher
from monitor.schedule.policy import cadence_for
from monitor.schedule.state import load_states, now_utc
from tests.conftest import REPO, run_monitor

FAST = ("--set", "AUTOTHROTTLE_ENABLED=False")


def test_two_rounds_the_second_downloads_nothing_new(replica: ReplicaServer, db_url: str) -> None:
    result = run_monitor("schedule", "b2", "--catalogue", str(CATALOGUE), "--base-url", replica.base_url,
                         "--db", db_url, "--rounds", "2", "--interval-scale", "0.0005", "--jitter", "0",
                         "--deliver-every", "0", *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted((r["round"], r["source"]) for r in runs) == [(1, "b2"), (2, "b2")]
    assert all(r["status"] == "finished" and r["failures"] == 0 for r in runs)
    first = {r["source"]: r for r in runs if r["round"] == 1}
    assert first["b2"]["stored"] > 0
    assert all(r["stored"] == 0 for r in runs if r["round"] == 2)
    engine = connect(db_url)
    with engine.connect() as connection:
        rows = connection.execute(select(CrawlRun.__table__).order_by(CrawlRun.started)).all()
    second = rows[1:]
    assert len(rows) == 2 and all(r.status == "finished" for r in rows)
    assert sum(r.stats.get("monitor/article_requests", 0) for r in second) == 0
    # each crawl's "auto" pool took its share of the CPUs: two crawls may run at once (--concurrency 2)
    assert {r.stats["monitor/pool/workers"] for r in rows} == {pool_size("auto", crawls=2)}
    # the feed answered 304 (conditional GET) or every listed article was skipped as already stored
    assert all(r.stats.get("monitor/not_modified", 0) + r.stats.get("monitor/articles_seen_skipped", 0) > 0
               for r in second)
    # the cadence adapted: a round that stored articles shortened the interval, an empty one lengthened it
    states = load_states(engine)
    base = 60 * 60 * 0.0005
    assert abs(states["b2"].interval_seconds - base * 0.75 * 1.25) < 1e-6

    status = run_monitor("status", "--catalogue", str(CATALOGUE), "--db", db_url, "--json")
    assert status.returncode == 0, status.stderr
    rows_out = {r["source"]: r for r in map(json.loads, status.stdout.splitlines())}
    assert {r["state"] for r in rows_out.values()} <= {"due", "scheduled"}
    assert rows_out["b2"]["last_status"] == "finished" and rows_out["b2"]["last_stored"] == 0


def test_a_crashed_crawl_is_recorded_and_retried_later(replica: ReplicaServer, db_url: str) -> None:
    engine = connect(db_url)
    sources = [s for s in load_catalogue(CATALOGUE, base_url=replica.base_url) if s.name == "eeas"]
    cadences = {s.name: cadence_for(s, 0.0005) for s in sources}
    crashing = LocalLauncher(command=[sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)"])
    options = SchedulerOptions(jitter=0, deliver_every=None, rounds=1)
    report = Scheduler(engine, cadences, crashing, options).run()[0]
    assert [(r["status"], r["failures"], r["error"]) for r in report.runs] == [("crashed", 1, "boom")]
    state = load_states(engine)["eeas"]
    assert state.status == "failed" and state.failures == 1 and state.last_error == "boom"
    assert state.next_due > state.last_finished  # retried later, not at once

    status = run_monitor("status", "--catalogue", str(CATALOGUE), "--db", db_url)
    assert status.returncode == 0 and "broken" in status.stdout and "boom" in status.stdout

    # retried once due: the process runs again; still no crawl recorded, so the back-off doubles
    first_retry_wait = (state.next_due - state.last_finished).total_seconds()
    silent = LocalLauncher(command=[sys.executable, "-c", "pass"])
    again = Scheduler(engine, cadences, silent, SchedulerOptions(jitter=0, deliver_every=None, rounds=2)).run()
    runs = [r for report in again for r in report.runs]
    assert [(r["status"], r["failures"]) for r in runs] == [("crashed", 2), ("crashed", 3)]
    assert "no crawl run was recorded" in runs[0]["error"]
    state = load_states(engine)["eeas"]
    assert (state.next_due - state.last_finished).total_seconds() == pytest.approx(4 * first_retry_wait, rel=0.01)


def test_a_broken_catalogue_launches_nothing_and_fails_no_source(replica: ReplicaServer, db_url: str, tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    """An edit that breaks the catalogue mid-run is one error, not every source failed and backed off."""
    catalogue = tmp_path / "sources.toml"
    catalogue.write_text(CATALOGUE.read_text(encoding="utf-8"), encoding="utf-8")
    engine = connect(db_url)
    cadences = {s.name: cadence_for(s, 0.0005) for s in load_catalogue(catalogue, base_url=replica.base_url)
                if s.name == "eeas"}
    crashing = LocalLauncher(command=[sys.executable, "-c", "import sys; sys.exit(1)"])
    options = SchedulerOptions(jitter=0, deliver_every=None, rounds=1, catalogue_check=catalogue_problem(catalogue))
    catalogue.write_text(catalogue.read_text(encoding="utf-8") + "\noops = \n", encoding="utf-8")
    with caplog.at_level("ERROR", logger="monitor.schedule"):
        report = Scheduler(engine, cadences, crashing, options).run()[0]
    assert report.runs == []  # nothing launched
    assert load_states(engine)["eeas"].failures == 0
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and str(catalogue) in errors[0].getMessage()
    catalogue.write_text(CATALOGUE.read_text(encoding="utf-8"), encoding="utf-8")  # fixed: launched again
    again = Scheduler(engine, cadences, crashing, options).run()[0]
    assert [r["source"] for r in again.runs] == ["eeas"]


def test_a_scheduler_restarted_mid_crawl_records_the_orphan_as_crashed(db_url: str) -> None:
    engine = connect(db_url)
    sources = [s for s in load_catalogue(CATALOGUE, base_url="http://127.0.0.1:9") if s.name == "b2"]
    cadences = {s.name: cadence_for(s) for s in sources}
    sleeper = LocalLauncher(command=[sys.executable, "-c", "import time; time.sleep(60)"])
    first = Scheduler(engine, cadences, sleeper, SchedulerOptions(deliver_every=None))
    first._launch("b2")  # the scheduler dies here, its crawl with it
    first.launcher.stop(first.running["b2"])
    first.running["b2"].handle[0].wait(10)  # gone: a crawl still running would be adopted
    assert load_states(engine)["b2"].status == "running"
    Scheduler(engine, cadences, sleeper, SchedulerOptions(deliver_every=None))
    state = load_states(engine)["b2"]
    assert state.status == "failed" and state.failures == 1 and "restarted" in (state.last_error or "")


def test_sigterm_lets_the_running_crawl_finish_and_exits_cleanly(replica: ReplicaServer, db_url: str,
                                                               tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--log-json", "-v", "schedule", "defnews", "--catalogue", str(CATALOGUE),
         "--base-url", replica.base_url, "--db", db_url, "--deliver-every", "0", *FAST,
         "--set", "DOWNLOAD_DELAY=0.3"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        engine = connect(db_url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = load_states(engine)
            if states.get("defnews") and states["defnews"].status == "running":
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the scheduler never launched the crawl")
        time.sleep(1.0)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr[-2000:]
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert {"launched", "stopping", "finished"} <= {e.get("event") for e in events}
    state = load_states(engine)["defnews"]
    assert state.status == "idle" and state.last_status == "finished" and state.last_stored > 0
    with engine.connect() as connection:
        run = connection.execute(select(CrawlRun.__table__).where(CrawlRun.source == "defnews")).one()
    assert run.status == "finished" and run.items_stored == state.last_stored
    assert state.next_due > now_utc() + timedelta(minutes=10)
