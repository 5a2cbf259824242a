"""``monitor fetch``: one replica page through the whole pipeline."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

import pytest

from monitor.replica import ReplicaServer
from tests.conftest import run_monitor
from tests.replica_truth import TRUTH_ARTICLES, norm, truth_url

IRAQ_MISSION = next(t for t in TRUTH_ARTICLES if "nato-iraq-mission" in t["topics"] and t["authors"]) if TRUTH_ARTICLES else {}


def fetch(url: str, db_url: str, *flags: str) -> dict:
    result = run_monitor("fetch", url, "--json", "--db", db_url, *flags)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_fetch_prints_the_whole_record(replica: ReplicaServer, db_url: str) -> None:
    url = truth_url(replica.base_url, IRAQ_MISSION) + "?utm_source=newsletter"
    record = fetch(url, db_url)
    assert norm(record["title"]) == norm(IRAQ_MISSION["title"])
    assert {norm(a) for a in record["authors"]} == {norm(a) for a in IRAQ_MISSION["authors"]}
    assert datetime.fromisoformat(record["published"]) == datetime.fromisoformat(IRAQ_MISSION["published"])
    assert record["published"].endswith("+00:00")
    assert record["language"] == IRAQ_MISSION["language"]
    assert "utm_source" not in record["canonical_url"]
    mission = next(t for t in record["topics"] if t["id"] == "nato-iraq-mission")
    assert mission["evidence"] and mission["score"] > 0
    assert isinstance(record["article_id"], int) and len(record["text"]) > 500

    again = fetch(truth_url(replica.base_url, IRAQ_MISSION), db_url)
    assert again["duplicate_of"] == record["article_id"]
    assert "exact duplicate" in again["dropped"]
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as connection:
        assert connection.execute("select count(*) from articles").fetchone() == (1,)


def test_no_store_writes_nothing(replica: ReplicaServer, db_url: str) -> None:
    record = fetch(truth_url(replica.base_url, TRUTH_ARTICLES[0]), db_url, "--no-store")
    assert record["title"] and record["article_id"] is None
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as connection:
        assert connection.execute("select count(*) from articles").fetchone() == (0,)


@pytest.mark.parametrize("path", ["/nato/no-such-page.html", "/b2/feed/"])
def test_unfetchable_pages_are_a_clear_error(replica: ReplicaServer, db_url: str, path: str) -> None:
    result = run_monitor("fetch", replica.base_url + path, "--db", db_url)
    assert result.returncode != 0
    assert replica.base_url + path in result.stderr and "Traceback" not in result.stderr


def crawl_runs(db_url: str) -> int:
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as connection:
        tables = {name for (name,) in connection.execute("select name from sqlite_master where type = 'table'")}
        return connection.execute("select count(*) from crawl_runs").fetchone()[0] if "crawl_runs" in tables else 0


def test_no_store_records_no_crawl_run(replica: ReplicaServer, db_url: str) -> None:
    fetch(truth_url(replica.base_url, TRUTH_ARTICLES[0]), db_url, "--no-store")
    failed = run_monitor("fetch", replica.base_url + "/nato/no-such-page.html", "--no-store", "--db", db_url)
    assert failed.returncode != 0
    assert crawl_runs(db_url) == 0


def test_a_one_off_fetch_does_not_count_toward_source_health(replica: ReplicaServer, db_url: str) -> None:
    failed = run_monitor("fetch", replica.base_url + "/nato/no-such-page.html", "--db", db_url)
    assert failed.returncode != 0
    fetch(truth_url(replica.base_url, TRUTH_ARTICLES[0]), db_url)
    assert crawl_runs(db_url) == 0


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_404_is_one_line_naming_the_url_once(replica: ReplicaServer, db_url: str) -> None:
    url = replica.base_url + "/nato/no-such-page.html"
    result = run_monitor("fetch", url, "--db", db_url)
    assert result.returncode == 1
    assert result.stderr == f"Error: could not fetch {url}: HTTP 404\n"


def test_a_refused_connection_is_one_line_and_scrapy_says_more_with_v(db_url: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}/x.html"
    result = run_monitor("fetch", url, "--db", db_url)
    assert result.returncode == 1
    assert result.stderr == f"Error: could not fetch {url}: connection refused\n"
    verbose = run_monitor("-v", "fetch", url, "--db", db_url)
    assert "Gave up retrying" in verbose.stderr and "fetch failed" in verbose.stderr
    assert verbose.stderr.splitlines()[-1] == f"Error: could not fetch {url}: connection refused"


def test_failure_reasons_drop_the_repeated_url_and_twisted_wording() -> None:
    from monitor.crawl.fetch import _reason

    url = "https://www.nato.int/a.htm?utm_source=x"
    assert _reason(f"{url}: HTTP 404", url) == "HTTP 404"
    assert _reason("https://nato.int/a.htm: HTTP 410", url) == "HTTP 410"  # the same page, canonically
    assert _reason("https://www.nato.int/b.htm: HTTP 404", url) == "https://www.nato.int/b.htm: HTTP 404"
    assert _reason(f"{url}: DNS lookup failed: no results for hostname lookup: www.nato.int.", url) == (
        "DNS lookup failed")
    assert _reason(f"{url}: TCP connection timed out: 110: Connection timed out.", url) == "timed out"
    assert _reason("no article produced", url) == "no article produced"
    assert _reason("extract_article: input is empty", url) == "extract_article: input is empty"


def test_log_json_keeps_every_stderr_line_json_errors_included(replica: ReplicaServer, db_url: str) -> None:
    """A log pipeline reading stderr as JSON lines gets no plain "Error:" line and no spider repr."""
    url = f"{replica.base_url}/nato/no-such-page.html"
    result = run_monitor("--log-json", "-v", "fetch", url, "--db", db_url)
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stderr.splitlines()]  # each line is one JSON object
    assert records[-1]["level"] == "ERROR" and records[-1]["message"] == f"could not fetch {url}: HTTP 404"
    spiders = {r["spider"] for r in records if "spider" in r}
    assert spiders and all("<" not in s and "0x" not in s for s in spiders), spiders
