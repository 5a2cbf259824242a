"""The scheduler at scale: no password on a crawl's command line, Scrapyd outages, restarts after SIGKILL,
interval history from distributed runs."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.catalogue import load_catalogue
from monitor.db import connect
from monitor.db.models import CrawlRun
from monitor.replica import CATALOGUE, ReplicaServer
from monitor.schedule.daemon import OUTAGE_RETRY_SECONDS, Scheduler, SchedulerOptions
from monitor.schedule.launchers import LocalLauncher, ScrapydLauncher, running_command
from monitor.schedule.policy import GROW, SHRINK, cadence_for
from monitor.schedule.state import ensure_sources, load_states, now_utc
from tests.conftest import REPO, run_monitor

SOURCES = {s.name: s for s in load_catalogue(CATALOGUE, base_url="http://127.0.0.1:9")}
SECRET_URL = "postgresql+psycopg://postgres:TopSecret@127.0.0.1:9/monitor"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


# --- 1: the database URL goes in the environment ------------------------------------------------------
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc (Linux)")
def test_the_database_password_is_in_the_crawls_environment_not_its_command_line(tmp_path: Path) -> None:
    seen = tmp_path / "seen.json"
    probe = ("import json, os, sys, time; open(sys.argv[1], 'w').write(json.dumps(os.environ.get('MONITOR_DB_URL')));"
             " time.sleep(30)")
    launcher = LocalLauncher(catalogue=CATALOGUE, db_url=SECRET_URL, command=[sys.executable, "-c", probe, str(seen)])
    job = launcher.launch("b2", now_utc())
    try:
        wait_for(lambda: seen.exists() and seen.stat().st_size > 0)
        argv = cmdline(int(job.job_id))
        assert "b2" in argv and str(CATALOGUE) in argv
        assert not any("TopSecret" in arg for arg in argv) and "--db" not in argv
        assert json.loads(seen.read_text()) == SECRET_URL
    finally:
        launcher.stop(job)
        job.handle[0].wait(10)


def test_a_scheduled_crawl_writes_to_the_database_it_was_given(replica: ReplicaServer, db_url: str,
                                                                tmp_path: Path) -> None:
    """The crawl reads MONITOR_DB_URL: its run lands in the scheduler's database, not ./monitor.sqlite."""
    engine = connect(db_url)
    launcher = LocalLauncher(catalogue=CATALOGUE, base_url=replica.base_url, db_url=db_url,
                             settings={"AUTOTHROTTLE_ENABLED": "False"},
                             env={"MONITOR_DB_URL": f"sqlite:///{tmp_path / 'other.sqlite'}"})
    assert db_url not in launcher.argv("b2")
    cadences = {"b2": cadence_for(SOURCES["b2"], 0.0005)}
    report = Scheduler(engine, cadences, launcher, SchedulerOptions(jitter=0, deliver_every=None, rounds=1)).run()[0]
    assert [(r["source"], r["status"]) for r in report.runs] == [("b2", "finished")]
    with engine.connect() as connection:
        assert connection.execute(select(CrawlRun.status)).scalars().all() == ["finished"]
    assert not (tmp_path / "other.sqlite").exists()


# --- 2: a failed launch is reported; a launcher outage is nobody's fault ------------------------------
def test_once_with_scrapyd_unreachable_reports_each_launch_and_backs_nothing_off(db_url: str) -> None:
    url = f"http://127.0.0.1:{free_port()}/"  # nothing listens
    result = run_monitor("schedule", "b2", "eeas", "--catalogue", str(CATALOGUE), "--base-url", "http://127.0.0.1:9",
                         "--db", db_url, "--scrapyd", url, "--once", "--deliver-every", "0")
    assert result.returncode == 3, result.stderr[-2000:]
    runs = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["source"] for r in runs) == ["b2", "eeas"]
    assert all(r["status"] == "launch_failed" and r["failures"] == 0 and url in r["error"] for r in runs)
    assert "b2: launch_failed (Scrapyd at" in result.stderr.strip().splitlines()[-1]
    states = load_states(connect(db_url))
    assert all(s.status == "idle" and s.failures == 0 and s.next_due <= now_utc() for s in states.values())
    status = run_monitor("status", "--catalogue", str(CATALOGUE), "--db", db_url, "--json")
    assert {r["state"] for r in map(json.loads, status.stdout.splitlines())} == {"due"}


class StubScrapyd(BaseHTTPRequestHandler):
    """Just enough Scrapyd: every job is accepted and at once finished."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer({"status": "ok", "pending": [], "running": [], "finished": [{"id": "j1"}]})

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer({"status": "ok", "jobid": "j1"})

    def _answer(self, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def stub_scrapyd(port: int) -> Iterator[None]:
    server = ThreadingHTTPServer(("127.0.0.1", port), StubScrapyd)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def test_the_daemon_waits_out_a_scrapyd_outage_then_launches_again(db_url: str,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    engine = connect(db_url)
    port = free_port()
    skew = [timedelta(0)]
    scheduler = Scheduler(engine, {"b2": cadence_for(SOURCES["b2"])}, ScrapydLauncher(f"http://127.0.0.1:{port}/"),
                          SchedulerOptions(jitter=0, deliver_every=None), clock=lambda: now_utc() + skew[0])
    thread = threading.Thread(target=scheduler.run, daemon=True)
    with caplog.at_level(logging.INFO, logger="monitor.schedule"):
        thread.start()
        try:
            wait_for(lambda: scheduler.reports and scheduler.reports[0].counts["launch_failed"] == 1)
            time.sleep(1.5)  # several loop passes: no new attempt, no new error, the source not backed off
            assert scheduler.reports[0].counts["launch_failed"] == 1
            assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"][0].startswith(
                "launcher unavailable")
            assert len([r for r in caplog.records if r.levelname == "ERROR"]) == 1
            state = load_states(engine)["b2"]
            assert state.failures == 0 and state.status == "idle"
            with stub_scrapyd(port):
                skew[0] = timedelta(seconds=OUTAGE_RETRY_SECONDS + 1)
                wait_for(lambda: scheduler.reports[0].counts.total() == 2)
        finally:
            scheduler.stopping.set()
            thread.join(30)
    assert "launcher_available" in [getattr(r, "event", "") for r in caplog.records]
    assert load_states(engine)["b2"].last_started is not None


class RefusingScrapyd(StubScrapyd):
    """A Scrapyd that answers, but has no such spider."""

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer({"status": "error", "message": "spider 'b2' not found"})


def test_a_launch_scrapyd_refuses_is_reported_and_that_source_backed_off(db_url: str) -> None:
    engine = connect(db_url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingScrapyd)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        launcher = ScrapydLauncher(f"http://127.0.0.1:{server.server_address[1]}/")
        report = Scheduler(engine, {"b2": cadence_for(SOURCES["b2"])}, launcher,
                           SchedulerOptions(jitter=0, deliver_every=None, rounds=1)).run()[0]
    finally:
        server.shutdown()
        server.server_close()
    assert [(r["status"], r["failures"]) for r in report.runs] == [("launch_failed", 1)]
    assert "spider 'b2' not found" in report.runs[0]["error"]
    state = load_states(engine)["b2"]
    assert state.status == "failed" and state.last_status == "launch_failed" and state.next_due > now_utc()


# --- 3: a scheduler killed with SIGKILL --------------------------------------------------------------
RECORDS_A_RUN = """
import os, sys, time
from datetime import datetime, timezone
from monitor.db import connect
from monitor.db.models import CrawlRun
time.sleep(2)
with connect(os.environ["MONITOR_DB_URL"]).begin() as connection:
    now = datetime.now(timezone.utc)
    connection.execute(CrawlRun.__table__.insert(), [{"run_key": "adopted", "source": sys.argv[1], "started": now,
        "finished": now, "status": "finished", "items_stored": 2, "stats": {"downloader/request_count": 3}}])
"""


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="adoption reads /proc (Linux)")
def test_a_restarted_scheduler_adopts_a_crawl_that_still_runs(db_url: str) -> None:
    engine = connect(db_url)
    cadences = {"b2": cadence_for(SOURCES["b2"])}
    launcher = LocalLauncher(db_url=db_url, command=[sys.executable, "-c", RECORDS_A_RUN])
    first = Scheduler(engine, cadences, launcher, SchedulerOptions(deliver_every=None))
    first._launch("b2")  # the scheduler dies here; its crawl goes on
    second = Scheduler(engine, cadences, launcher, SchedulerOptions(jitter=0, deliver_every=None, rounds=1))
    assert list(second.running) == ["b2"]  # adopted: counts towards the concurrency bound
    state = load_states(engine)["b2"]
    assert state.status == "running" and state.failures == 0
    report = second.run()[0]
    assert [(r["source"], r["status"], r["stored"], r["failures"]) for r in report.runs] == [("b2", "finished", 2, 0)]
    state = load_states(engine)["b2"]
    assert state.status == "idle" and state.last_status == "finished" and state.last_error is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_local_crawls_die_with_a_scheduler_killed_with_sigkill() -> None:
    script = ("import sys, time; from monitor.schedule.launchers import LocalLauncher; "
              "from monitor.schedule.state import now_utc; "
              "job = LocalLauncher(command=[sys.executable, '-c', 'import time; time.sleep(60)']).launch('b2', now_utc()); "
              "print(job.job_id, flush=True); time.sleep(60)")
    scheduler = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True,
                                 env=os.environ.copy())
    assert scheduler.stdout is not None
    pid = int(scheduler.stdout.readline())
    prefix = [sys.executable, "-c", "import time; time.sleep(60)", "b2"]
    try:
        assert running_command(pid, prefix)
        scheduler.send_signal(signal.SIGKILL)
        scheduler.wait(10)
        wait_for(lambda: not running_command(pid, prefix), timeout=10)
    finally:
        if running_command(pid, prefix):
            os.kill(pid, signal.SIGKILL)


# --- 5: interval history from distributed rounds ---------------------------------------------------------
def test_a_distributed_round_is_one_poll_and_idle_worker_rows_none(db_url: str) -> None:
    engine = connect(db_url)
    start = now_utc() - timedelta(days=1)
    rows = []
    for poll in range(3):  # three distributed rounds, an hour apart: two workers stored, a third idled
        began = start + timedelta(hours=poll)
        for worker, (stored, requests) in enumerate([(2, 10), (1, 8), (0, 0)]):
            rows.append({"run_key": f"{poll}-{worker}", "source": "b2", "status": "finished", "items_stored": stored,
                         "started": began + timedelta(seconds=worker), "finished": began + timedelta(minutes=5),
                         "stats": {"downloader/request_count": requests}})
    rows.append({"run_key": "quiet", "source": "b2", "status": "finished", "items_stored": 0,  # one quiet poll
                 "started": start + timedelta(hours=5), "finished": start + timedelta(hours=5, minutes=1),
                 "stats": {"downloader/request_count": 4}})
    with engine.begin() as connection:
        connection.execute(CrawlRun.__table__.insert(), rows)
    cadence = cadence_for(SOURCES["b2"])
    ensure_sources(engine, {"b2": cadence}, now_utc())
    expected = cadence.clamp(cadence.clamp(cadence.clamp(cadence.clamp(cadence.base * SHRINK) * SHRINK)
                                           * SHRINK) * GROW)
    assert load_states(engine)["b2"].interval_seconds == pytest.approx(expected)
