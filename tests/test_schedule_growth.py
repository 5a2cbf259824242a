"""What a scheduler running for months must not grow: run reports, catalogue parses, crawl logs."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from monitor.catalogue import load_catalogue
from monitor.db import connect
from monitor.replica import CATALOGUE, ReplicaServer
from monitor.schedule.catalogue_check import RACY_NANOSECONDS
from monitor.schedule.daemon import Scheduler, SchedulerOptions, catalogue_problem
from monitor.schedule.launchers import LocalLauncher
from monitor.schedule.policy import cadence_for
from monitor.schedule.state import load_states, now_utc
from tests.conftest import run_monitor

# Every replica source, on an interval so short that each is due again at the next tick
CADENCES = {s.name: cadence_for(s, 0.00001) for s in load_catalogue(CATALOGUE, base_url="http://127.0.0.1:9")}
QUICK = [sys.executable, "-c", "pass"]  # a crawl process that ends at once (recorded as crashed: no run row)
BROKEN_KIND = ('kind = "feed"', 'kind = "fees"')  # same length: an edit that keeps the file's size
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"  # UTC, to the second


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the scheduler")
        time.sleep(0.05)


@contextmanager
def daemon(scheduler: Scheduler) -> Iterator[Scheduler]:
    """``scheduler.run()`` until stopped (no ``rounds``) in a thread; stopped and joined on exit."""
    thread = threading.Thread(target=scheduler.run, daemon=True)
    thread.start()
    try:
        yield scheduler
    finally:
        scheduler.stopping.set()
        thread.join(60)
    assert not thread.is_alive()


def crawls(scheduler: Scheduler) -> int:
    return scheduler.reports[0].counts.total() if scheduler.reports else 0


@pytest.fixture(scope="module")
def settled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of catalogues old enough for their checks to be cached: good.toml and broken.toml (read only),
    edited.toml and daemon.toml (for one test each to edit)."""
    folder = tmp_path_factory.mktemp("catalogues")
    good = CATALOGUE.read_text(encoding="utf-8")
    for name in ("good.toml", "edited.toml", "daemon.toml"):
        (folder / name).write_text(good, encoding="utf-8")
    (folder / "broken.toml").write_text(good.replace(*BROKEN_KIND), encoding="utf-8")
    time.sleep(RACY_NANOSECONDS / 1e9 + 0.1)  # a file's ctime cannot be set back: wait for it to age
    return folder


def events(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [getattr(r, "event", "") for r in list(caplog.records)]


def launched_since(caplog: pytest.LogCaptureFixture, event: str) -> bool:
    seen = events(caplog)
    return event in seen and "launched" in seen[seen.index(event):]


# --- 1. run reports ---------------------------------------------------------------------


def test_the_daemon_keeps_only_its_recent_runs_and_counts_the_rest(db_url: str,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    engine = connect(db_url)
    options = SchedulerOptions(concurrency=len(CADENCES), jitter=0, deliver_every=None, recent_runs=3)
    scheduler = Scheduler(engine, CADENCES, LocalLauncher(command=QUICK), options)
    with caplog.at_level("INFO", logger="monitor.schedule"), daemon(scheduler):
        wait_for(lambda: crawls(scheduler) >= 16)
    report = scheduler.reports[0]
    assert report.counts.total() >= 16 and report.counts == {"crashed": report.counts.total()}
    assert len(report.runs) == 3  # not 16 or more
    # the window holds the latest runs: the last one is what its source's schedule row says now
    last = report.runs[-1]
    assert load_states(engine)[last["source"]].next_due.isoformat() == last["next_due"]
    stopped = [r for r in caplog.records if getattr(r, "event", "") == "stopped"]
    assert len(stopped) == 1 and stopped[0].crawls == {"crashed": report.counts.total()}


def test_a_bounded_round_keeps_every_run(db_url: str) -> None:
    """``--once``/``--rounds`` print every run, however small ``recent_runs`` is."""
    options = SchedulerOptions(concurrency=len(CADENCES), jitter=0, deliver_every=None, rounds=1, recent_runs=1)
    report = Scheduler(connect(db_url), CADENCES, LocalLauncher(command=QUICK), options).run()[0]
    assert sorted(r["source"] for r in report.runs) == sorted(CADENCES)


# --- 2. catalogue checks ----------------------------------------------------------------


def test_an_unchanged_catalogue_is_parsed_once(settled: Path) -> None:
    check = catalogue_problem(settled / "good.toml")
    assert [check() for _ in range(200)] == [None] * 200
    assert check.parses == 1


def test_a_broken_unchanged_catalogue_is_parsed_once_and_stays_broken(settled: Path) -> None:
    path = settled / "broken.toml"
    check = catalogue_problem(path)
    answers = {check() for _ in range(50)}
    assert len(answers) == 1 and str(path) in answers.pop()  # type: ignore[operator]
    assert check.parses == 1


def test_every_edit_is_seen_by_the_next_check(settled: Path) -> None:
    path = settled / "edited.toml"
    good = path.read_text(encoding="utf-8")
    check = catalogue_problem(path)
    assert check() is None and check() is None and check.parses == 1

    # same size, and the old mtime put back (as `cp -p` or `rsync -t` do): still seen
    before = path.stat()
    path.write_text(good.replace(*BROKEN_KIND), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert "fees" in (check() or "")
    path.write_text(good, encoding="utf-8")  # fixed
    assert check() is None
    path.write_text(good + "\noops = \n", encoding="utf-8")  # broken again, another way
    assert "not valid TOML" in (check() or "")
    assert check.parses == 4


def test_a_catalogue_written_just_now_is_not_trusted_from_the_cache(tmp_path: Path) -> None:
    """Within a file system's timestamp granularity a second edit could leave size and mtime unchanged."""
    path = tmp_path / "sources.toml"
    path.write_text(CATALOGUE.read_text(encoding="utf-8"), encoding="utf-8")
    check = catalogue_problem(path)
    assert check() is None and check() is None
    assert check.parses == 2


def test_the_configured_catalogue_is_looked_up_on_each_check(settled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good, bad = settled / "good.toml", settled / "broken.toml"
    check = catalogue_problem(None)
    monkeypatch.setenv("MONITOR_CATALOGUE", str(good))
    assert check() is None
    monkeypatch.setenv("MONITOR_CATALOGUE", str(bad))
    assert str(bad) in (check() or "")


def test_the_daemon_parses_an_unchanged_catalogue_once(db_url: str, settled: Path) -> None:
    check = catalogue_problem(settled / "good.toml")
    options = SchedulerOptions(concurrency=len(CADENCES), jitter=0, deliver_every=None, catalogue_check=check)
    scheduler = Scheduler(connect(db_url), CADENCES, LocalLauncher(command=QUICK), options)
    with daemon(scheduler):
        wait_for(lambda: crawls(scheduler) >= 4 * len(CADENCES))  # each launch tick asked the check
    assert check.parses == 1


def test_the_daemon_asks_about_the_catalogue_only_when_a_slot_is_free(db_url: str) -> None:
    asked: list[float] = []

    def check() -> None:
        asked.append(time.monotonic())

    sleeper = LocalLauncher(command=[sys.executable, "-c", "import time; time.sleep(4)"])
    options = SchedulerOptions(concurrency=1, jitter=0, deliver_every=None, catalogue_check=check)
    scheduler = Scheduler(connect(db_url), CADENCES, sleeper, options)
    with daemon(scheduler):
        wait_for(lambda: bool(scheduler.running))
        time.sleep(2.0)  # ~4 ticks with three sources due and the one slot busy
        assert len(scheduler.running) == 1 and len(asked) == 1
        for job in list(scheduler.running.values()):
            sleeper.stop(job)  # no need to wait for it


def test_the_daemon_sees_a_broken_edit_at_once_and_launches_nothing_until_fixed(
        db_url: str, settled: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = settled / "daemon.toml"
    good = path.read_text(encoding="utf-8")
    check = catalogue_problem(path)
    options = SchedulerOptions(concurrency=len(CADENCES), jitter=0, deliver_every=None, catalogue_check=check)
    scheduler = Scheduler(connect(db_url), CADENCES, LocalLauncher(command=QUICK), options)
    with caplog.at_level(logging.INFO, logger="monitor.schedule"), daemon(scheduler):
        wait_for(lambda: crawls(scheduler) >= len(CADENCES))
        path.write_text(good.replace(*BROKEN_KIND), encoding="utf-8")  # same size
        wait_for(lambda: "catalogue_invalid" in events(caplog), timeout=5)  # ticks are 0.5 s apart
        time.sleep(1.5)  # ticks with every source due and every slot free: nothing launched
        path.write_text(good, encoding="utf-8")
        wait_for(lambda: launched_since(caplog, "catalogue_valid"), timeout=10)
    seen = events(caplog)
    invalid, valid = seen.index("catalogue_invalid"), seen.index("catalogue_valid")
    assert "launched" not in seen[invalid:valid]
    assert "launched" in seen[valid:]
    assert seen.count("catalogue_invalid") == 1  # one error for the broken spell, not one per tick


# --- 3. crawl logs ----------------------------------------------------------------------


def run_logged(log_dir: Path, number: int, *, max_bytes: int, keep: int) -> None:
    """One crawl of "b2" that writes ~3 KB to its log, started and waited for."""
    script = "import os; print('run', os.environ['RUN']); print('x' * 3000)"
    launcher = LocalLauncher(log_dir=log_dir, log_max_bytes=max_bytes, log_keep=keep,
                             command=[sys.executable, "-c", script], env={"RUN": str(number)})
    job = launcher.launch("b2", now_utc())
    wait_for(lambda: launcher.poll(job) is not None, timeout=30)


def runs_in(path: Path) -> list[int]:
    return [int(line.split()[1]) for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("run ")]


def test_a_source_log_is_rotated_at_launch_keeping_n_old_files(tmp_path: Path) -> None:
    for number in range(7):
        run_logged(tmp_path, number, max_bytes=4000, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b2.log", "b2.log.1", "b2.log.2"]
    assert runs_in(tmp_path / "b2.log") == [6]
    assert runs_in(tmp_path / "b2.log.1") == [4, 5]
    assert runs_in(tmp_path / "b2.log.2") == [2, 3]  # runs 0 and 1 dropped


def test_keep_0_starts_the_log_over_and_max_0_never_rotates(tmp_path: Path) -> None:
    for number in range(3):
        run_logged(tmp_path / "over", number, max_bytes=4000, keep=0)
        run_logged(tmp_path / "never", number, max_bytes=0, keep=2)
    assert [p.name for p in (tmp_path / "over").iterdir()] == ["b2.log"]
    assert runs_in(tmp_path / "over" / "b2.log") == [2]
    assert [p.name for p in (tmp_path / "never").iterdir()] == ["b2.log"]
    assert runs_in(tmp_path / "never" / "b2.log") == [0, 1, 2]


def test_schedule_rotates_crawl_logs_by_its_options(replica: ReplicaServer, db_url: str, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    old = "an earlier crawl's output\n" * 100  # ~2.6 KB, over 0.002 MB
    (logs / "b2.log").write_text(old, encoding="utf-8")
    (logs / "b2.log.1").write_text("the oldest output\n", encoding="utf-8")
    result = run_monitor("schedule", "b2", "--catalogue", str(CATALOGUE), "--base-url", replica.base_url,
                         "--db", db_url, "--once", "--deliver-every", "0", "--log-dir", str(logs),
                         "--log-max-mb", "0.002", "--log-keep", "1", "--set", "AUTOTHROTTLE_ENABLED=False")
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in logs.iterdir()) == ["b2.log", "b2.log.1"]
    assert (logs / "b2.log.1").read_text(encoding="utf-8") == old  # the oldest dropped
    fresh = (logs / "b2.log").read_text(encoding="utf-8")
    assert fresh and "earlier crawl" not in fresh
    # a clean crawl prints only its counts line: the markers say when it ran and which process it was
    lines = fresh.splitlines()
    assert re.fullmatch(rf"==== {STAMP} b2: crawl started ====", lines[0]), lines[0]
    assert re.fullmatch(rf"==== {STAMP} b2: crawl ended, exit code 0 \(job \d+\) ====", lines[-1]), lines[-1]
    assert json.loads(lines[-2])["source"] == "b2"


def test_each_run_in_a_source_log_starts_with_a_timestamped_header(tmp_path: Path) -> None:
    for number in range(2):
        run_logged(tmp_path, number, max_bytes=0, keep=0)
    lines = (tmp_path / "b2.log").read_text(encoding="utf-8").splitlines()
    markers = [(n, line) for n, line in enumerate(lines) if line.startswith("====")]
    assert [n for n, _ in markers] == [0, 3, 4, 7]  # header, "run N", output, footer; twice
    assert all(re.fullmatch(rf"==== {STAMP} b2: crawl started ====", line) for _, line in markers[::2])
    assert all(re.fullmatch(rf"==== {STAMP} b2: crawl ended, exit code 0 \(job \d+\) ====", line)
               for _, line in markers[1::2])
    assert [lines[1], lines[5]] == ["run 0", "run 1"]
