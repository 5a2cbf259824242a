"""One verdict per run: a failed start URL is an error in the CLI JSON, the crawl_runs row, the exit code
and the scheduler; the error count is failures, not ERROR log lines."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, insert, select

from monitor.crawl.runner import RunSummary
from monitor.crawl.verdict import ERRORS_EXIT_CODE, run_errors, run_status
from monitor.db import connect
from monitor.db.models import CrawlRun
from monitor.replica import ReplicaServer
from monitor.schedule.daemon import Scheduler, SchedulerOptions
from monitor.schedule.launchers import Job, JobEnd
from monitor.schedule.policy import Cadence
from monitor.schedule.state import load_states
from tests.conftest import run_monitor

FAST = ("--set", "AUTOTHROTTLE_ENABLED=False")


def catalogue(tmp_path: Path, replica: ReplicaServer) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(f'[[source]]\nname = "t-feed-404"\nkind = "feed"\npoll_interval_minutes = 60\n'
                    f'start_urls = ["{replica.base_url}/b2/no-such-feed/"]\n')
    return path


def test_a_feed_that_answers_404_is_an_error_of_the_run(replica: ReplicaServer, tmp_path: Path, db_url: str) -> None:
    result = run_monitor("crawl", "--catalogue", str(catalogue(tmp_path, replica)), "--db", db_url, *FAST)
    assert result.returncode == ERRORS_EXIT_CODE, result.stderr[-2000:]
    run = json.loads(result.stdout.splitlines()[0])
    assert run["status"] == "finished_with_errors" and run["errors"] == 1
    assert f"ERROR t-feed-404: failed listing {replica.base_url}/b2/no-such-feed/: http_404" in result.stderr
    assert "Error: t-feed-404: finished_with_errors (1 http_404)" in result.stderr
    assert "Disabled" not in result.stderr  # off-by-default components are switched off quietly
    with connect(db_url).connect() as connection:
        assert connection.execute(select(CrawlRun.status)).scalar_one() == "finished_with_errors"


def test_the_scheduler_counts_a_404_feed_as_a_failure(replica: ReplicaServer, tmp_path: Path, db_url: str) -> None:
    path = catalogue(tmp_path, replica)
    result = run_monitor("schedule", "--catalogue", str(path), "--db", db_url, "--once",
                         "--jitter", "0", "--deliver-every", "0", *FAST)
    assert result.returncode == ERRORS_EXIT_CODE, result.stderr[-3000:]  # as `monitor crawl`: cron sees it
    run = json.loads(result.stdout.splitlines()[0])
    assert run["status"] == "finished_with_errors" and run["failures"] == 1, run
    assert run["error"] == "the feed failed: 1 http_404"  # said once, from the run's stats
    assert result.stderr.splitlines()[-1] == "Error: t-feed-404: finished_with_errors (the feed failed: 1 http_404)"
    state = load_states(connect(db_url))["t-feed-404"]
    assert state.interval_seconds == 60 * 60  # not lengthened as if the feed were merely quiet
    assert state.last_error == "the feed failed: 1 http_404"
    listed = run_monitor("status", "--catalogue", str(path), "--db", db_url, "--json").stdout.splitlines()
    status = {r["source"]: r for r in map(json.loads, listed)}
    assert status["t-feed-404"]["state"] == "broken"


def test_errors_count_failures_not_log_lines() -> None:
    # one timed-out article page: Scrapy's "Gave up retrying" and the monitor's own line are two ERROR lines
    timed_out = {"finish_reason": "finished", "log_count/ERROR": 2, "monitor/errors/timeout": 1,
                 "monitor/errors/count": 1, "monitor/run_errors": 1}
    summary = RunSummary("x", run_status("finished", timed_out), timed_out)
    assert summary.as_dict()["errors"] == 1 and summary.as_dict()["status"] == "finished_with_errors"
    # an article the outlet deleted (404) is counted by reason for health, but the run finished
    gone = {"monitor/errors/http_404": 1, "monitor/errors/count": 1, "log_count/WARNING": 1}
    assert run_errors(gone) == 0 and run_status("finished", gone) == "finished"
    assert run_status("shutdown", {}) == "failed: shutdown"


def test_a_configured_limit_ends_a_run_as_planned_not_as_a_failure() -> None:
    """CLOSESPIDER_PAGECOUNT / _TIMEOUT bound scheduled crawls on purpose: exit 0 unless pages were lost."""
    assert run_status("closespider_pagecount", {}) == "finished"
    assert run_status("closespider_timeout", {"monitor/run_errors": 1}) == "finished_with_errors"
    assert run_status("cancelled", {}) == "failed: cancelled"


class RowLeavingLauncher:
    """A crawl that leaves the given ``crawl_runs`` stats and exits 3 with `monitor crawl`'s last line."""

    def __init__(self, engine: Engine, stats: dict[str, dict[str, int]]) -> None:
        self.engine, self.stats = engine, stats

    def launch(self, source: str, started: datetime) -> Job:
        with self.engine.begin() as connection:
            connection.execute(insert(CrawlRun).values(run_key=source, source=source, started=started, finished=started,
                                                       status="finished_with_errors", stats=self.stats[source]))
        return Job(source, "1", started)

    def poll(self, job: Job) -> JobEnd:
        return JobEnd(ERRORS_EXIT_CODE, f"Error: {job.source}: finished_with_errors (…)")

    def stop(self, job: Job) -> None:
        pass


def test_last_error_says_what_failed_once_from_the_runs_stats(db_url: str) -> None:
    engine = connect(db_url)
    stats = {"lost": {"monitor/listed": 5, "monitor/run_errors": 2, "monitor/errors/timeout": 2},
             "dead": {"monitor/run_errors": 1, "monitor/errors/dns": 1},
             "bare": {"monitor/listed": 2, "spider_exceptions/count": 1}}
    options = SchedulerOptions(jitter=0, deliver_every=None, rounds=1, concurrency=3,
                               kinds={"lost": "feed", "dead": "sitemap", "bare": "feed"})
    cadences = dict.fromkeys(stats, Cadence(3600, 900, 14400))
    report = Scheduler(engine, cadences, RowLeavingLauncher(engine, stats), options).run()[0]
    assert {r["source"]: r["error"] for r in report.runs} == {
        "lost": "lost pages: 2 timeout", "dead": "the sitemap failed: 1 dns", "bare": "finished_with_errors"}
    assert load_states(engine)["dead"].last_error == "the sitemap failed: 1 dns"
