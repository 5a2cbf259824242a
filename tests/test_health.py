"""Source health counts real failures only: skips of stored articles and 304s are the crawl working."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from monitor.catalogue import BUNDLED_CATALOGUE, find_source, load_catalogue
from monitor.catalogue.coverage import offline_source
from monitor.catalogue.fixtures import FixtureServer, fixture_path
from monitor.catalogue.health import SKIPS, RunRecord, assess
from monitor.catalogue.write import format_catalogue
from monitor.crawl.failures import SkipRequest
from tests.conftest import run_monitor

NOW = datetime(2025, 3, 20, 12, 0, tzinfo=timezone.utc)
FAST = ("--set", "AUTOTHROTTLE_ENABLED=False")


def test_skips_are_named_as_scrapy_counts_them() -> None:
    assert SKIPS.endswith("/" + f"{SkipRequest.__module__}.{SkipRequest.__qualname__}")


def test_a_touched_feed_whose_articles_are_stored_is_healthy(tmp_path: Path, db_url: str) -> None:
    shutil.copytree(fixture_path("b2-bruxelles2"), tmp_path / "sites" / "b2-bruxelles2")
    feed = tmp_path / "sites" / "b2-bruxelles2" / "feed" / "index.xml"
    catalogue = tmp_path / "c.toml"
    with FixtureServer(tmp_path / "sites") as server:
        source = find_source(load_catalogue(BUNDLED_CATALOGUE), "b2-bruxelles2")
        catalogue.write_text(format_catalogue([offline_source(source, server.base_url)]))
        runs = []
        for poll in range(4):
            feed.write_text(feed.read_text() + f"<!-- poll {poll} -->\n")  # a new ETag: no 304
            result = run_monitor("crawl", "--catalogue", str(catalogue), "--db", db_url, *FAST)
            assert result.returncode == 0, result.stderr[-3000:]
            runs.append(json.loads(result.stdout))
    assert all(r["errors"] == 0 and r["not_modified"] == 0 for r in runs)
    assert all(r["seen_skipped"] == runs[0]["stored"] > 0 for r in runs[1:])
    listed = run_monitor("sources", "list", "--json", "--catalogue", str(catalogue), "--db", db_url)
    row = json.loads(listed.stdout)
    assert not any("error responses" in reason for reason in row["reasons"]), row["reasons"]


def test_deliberate_skips_are_not_error_responses() -> None:
    def run(hours_ago: float, **stats: int) -> RunRecord:
        return RunRecord(NOW - timedelta(hours=hours_ago), "finished", {"monitor/listed": 3, **stats})

    skipping = {"downloader/request_count": 2, "downloader/exception_count": 3, SKIPS: 3,
                "monitor/articles_seen_skipped": 3}
    health = assess([run(h, **skipping) for h in (3, 2, 1)], [NOW - timedelta(hours=1)], now=NOW)
    assert health.status == "ok", health.reasons
    failing = {"downloader/request_count": 2, "downloader/exception_count": 3, SKIPS: 1}
    history = [run(h, **skipping) for h in (6, 5, 4)]  # a jump needs earlier runs to jump from
    health = assess(history + [run(h, **failing) for h in (3, 2, 1)], [NOW - timedelta(hours=1)], now=NOW)
    assert any("error responses jumped to 100%" in r for r in health.reasons)


def test_status_is_the_verdict_and_a_304_does_not_hide_an_empty_listing() -> None:
    def run(status: str, **stats: int) -> RunRecord:
        return RunRecord(NOW - timedelta(hours=1), status, {"monitor/listed": 1, **stats})

    assert run("finished_with_errors", **{"monitor/run_errors": 1}).failed
    assert not run("finished", **{"monitor/run_errors": 0, "log_count/ERROR": 1}).failed  # a stray log line
    assert run("finished", **{"log_count/ERROR": 1}).failed  # a row from before run_errors: its log decides
    empty = RunRecord(NOW, "finished", {"monitor/not_modified": 1, "monitor/listing_empty": 1})
    assert empty.found_nothing and not RunRecord(NOW, "finished", {"monitor/not_modified": 1}).found_nothing


def test_health_and_the_sources_page_read_runs_through_the_source_started_index(tmp_path: Path) -> None:
    """Per-source run lookups must not sort a source's whole history (the table grows by thousands a day)."""
    from monitor.catalogue.health import source_health
    from monitor.db import connect
    from monitor.db.models import CrawlRun
    from monitor.web.data import sources_overview
    from tests.sql_plans import plans_of

    engine = connect(f"sqlite:///{tmp_path / 'runs.db'}")
    started = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with engine.begin() as connection:
        connection.execute(CrawlRun.__table__.insert(), [
            {"run_key": f"r{i}", "source": f"s{i % 3}", "started": started + timedelta(hours=i), "status": "finished",
             "items_stored": 1, "stats": {}} for i in range(60)])
    found: dict[str, object] = {}

    def read() -> None:
        found["health"], found["overview"] = source_health(engine, ["s0", "s1"]), sources_overview(engine)

    plans = plans_of(engine, tmp_path / "runs.db", read, table="crawl_runs")
    assert set(found["health"]) == {"s0", "s1"}  # type: ignore[arg-type]
    assert [row["last_run"] for row in found["overview"] if row["name"] == "s2"] == [  # type: ignore[attr-defined]
        started + timedelta(hours=59)]
    ordered = [(sql, plan) for sql, plan in plans if "ORDER BY" in sql.upper()]
    assert ordered
    for sql, plan in ordered:
        assert "ix_crawl_runs_source_started" in plan and "TEMP B-TREE" not in plan, (sql, plan)


def test_a_distributed_workers_article_only_and_idle_runs_do_not_read_as_finding_nothing() -> None:
    """After a distributed crawl the newest rows are often a worker's that never fetched the feed (another worker
    did): only article pages, or nothing at all. Neither is "found no article links"; idle rows do not count."""
    from monitor.distributed.settings import LISTINGS_TAKEN, WORKER_STAT

    def run(hours_ago: float, status: str = "finished", **stats: int) -> RunRecord:
        return RunRecord(NOW - timedelta(hours=hours_ago), status,
                         {"finish_reason": "finished", "monitor/run_errors": 0, WORKER_STAT: 1, **stats})

    feed = run(3, **{LISTINGS_TAKEN: 1, "monitor/listed": 8, "downloader/request_count": 5})
    articles = run(2, **{LISTINGS_TAKEN: 0, "downloader/request_count": 4, "monitor/stored": 4})
    idle = run(1, **{LISTINGS_TAKEN: 0})  # found the queue empty: no request at all
    health = assess([feed, articles, idle], [NOW - timedelta(hours=1)], now=NOW)
    assert health.status == "ok", health.reasons
    assert health.runs == 2  # the idle row is not a run of the source
    # three article-only runs in a row are not "found no article links in the last 3 runs" either
    health = assess([run(h, **{LISTINGS_TAKEN: 0, "downloader/request_count": 2}) for h in (3, 2, 1)],
                    [NOW - timedelta(hours=1)], now=NOW)
    assert health.status == "ok", health.reasons
    # an article-only run's failures are lost pages, not a failed feed
    lossy = run(1, "finished_with_errors", **{LISTINGS_TAKEN: 0, "downloader/request_count": 4,
                                               "monitor/run_errors": 2, "monitor/errors/timeout": 2})
    assert lossy.causes("feed") == (None, "2 timeout")
    # a worker that did take the feed and listed nothing still says so
    empty = run(1, **{LISTINGS_TAKEN: 1, "downloader/request_count": 1})
    assert "the last run found no article links" in assess([feed, empty], [], now=NOW).reasons
