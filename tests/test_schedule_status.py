"""`monitor status` shows the current catalogue: sources removed from it are not "broken" forever, sources the
scheduler has not run yet are due, times are to the second. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from monitor.catalogue import load_catalogue
from monitor.catalogue.write import format_catalogue
from monitor.db import connect
from monitor.replica import CATALOGUE, ReplicaServer
from monitor.schedule.daemon import Scheduler, SchedulerOptions
from monitor.schedule.launchers import LocalLauncher
from monitor.schedule.policy import cadence_for
from tests.conftest import run_monitor
from tests.db_fixtures import db_url  # noqa: F401 - every test on SQLite and PostgreSQL

FAST = ("--set", "AUTOTHROTTLE_ENABLED=False")
TO_THE_SECOND = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


def status(db: str, catalogue: Path, *args: str) -> list[dict]:
    result = run_monitor("status", "--db", db, "--json", *args, env={"MONITOR_CATALOGUE": str(catalogue)})
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_sources_a_crawl_stored_but_the_scheduler_never_ran_are_due(replica: ReplicaServer, db_url: str) -> None:
    crawled = run_monitor("crawl", "b2", "--catalogue", str(CATALOGUE), "--base-url", replica.base_url,
                          "--db", db_url, *FAST)
    assert crawled.returncode == 0, crawled.stderr[-3000:]
    rows = status(db_url, CATALOGUE)
    assert [(r["source"], r["state"], r["scheduled"], r["next_due"]) for r in rows] == [
        (name, "due", False, None) for name in ("b2", "defnews", "eeas", "nato")]
    table = run_monitor("status", "--catalogue", str(CATALOGUE), "--db", db_url)
    assert "No scheduled sources yet" not in table.stdout, table.stdout
    b2 = next(line for line in table.stdout.splitlines() if line.startswith("b2 "))
    assert b2.split()[1:3] == ["due", "now"] and "never scheduled" in b2


def test_sources_removed_from_the_catalogue_are_not_broken_or_due(replica: ReplicaServer, db_url: str,
                                                                 tmp_path: Path) -> None:
    """Four sources scheduled (each crawl crashed: broken), then the catalogue keeps only one of them."""
    engine = connect(db_url)
    sources = load_catalogue(CATALOGUE, base_url=replica.base_url)
    crashing = LocalLauncher(command=[sys.executable, "-c", "import sys; sys.exit(1)"])
    Scheduler(engine, {s.name: cadence_for(s, 0.0005) for s in sources}, crashing,
              SchedulerOptions(concurrency=4, jitter=0, deliver_every=None, rounds=1)).run()
    one = tmp_path / "one.toml"
    one.write_text(format_catalogue([s for s in load_catalogue(CATALOGUE) if s.name == "b2"]))
    once = run_monitor("schedule", "--once", "--base-url", replica.base_url, "--db", db_url, "--jitter", "0",
                       "--deliver-every", "0", *FAST, env={"MONITOR_CATALOGUE": str(one)})
    assert once.returncode == 0, once.stderr[-3000:]

    rows = status(db_url, one)
    assert [(r["source"], r["state"], r["failures"]) for r in rows] == [("b2", "scheduled", 0)]
    assert all(TO_THE_SECOND.match(r[key]) for r in rows for key in ("next_due", "last_started", "last_finished"))
    table = run_monitor("status", "--db", db_url, env={"MONITOR_CATALOGUE": str(one)})
    assert "broken" not in table.stdout
    assert table.stdout.rstrip().splitlines()[-1] == (
        "3 scheduled source(s) no longer in the catalogue, not shown (--all lists them): defnews, eeas, nato")
    everything = {r["source"]: r for r in status(db_url, one, "--all")}
    assert {name: r["state"] for name, r in everything.items()} == {
        "b2": "scheduled", "defnews": "removed", "eeas": "removed", "nato": "removed"}
    assert all(r["next_due"] is None and r["due_in_seconds"] is None and not r["in_catalogue"]
               for name, r in everything.items() if name != "b2")
    assert everything["eeas"]["failures"] == 1  # its history stays readable
    listed = run_monitor("status", "--all", "--db", db_url, env={"MONITOR_CATALOGUE": str(one)}).stdout
    eeas = next(line for line in listed.splitlines() if line.startswith("eeas "))
    assert eeas.split()[1:3] == ["removed", "-"], eeas
    # the catalogue option names the catalogue as other commands do
    assert [r["source"] for r in status(db_url, CATALOGUE)] == ["b2", "defnews", "eeas", "nato"]
