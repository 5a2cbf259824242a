"""Retry-After on 429/503 is honoured: a loopback outlet that says "come back later" gets its page on the retry."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from monitor.crawl.retry_after import parse_retry_after
from tests.conftest import run_monitor

FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>Busy outlet</title>
<item><title>Parliament debates the defence budget</title><link>{base}/article</link>
<pubDate>Fri, 14 Mar 2025 10:00:00 +0000</pubDate></item></channel></rss>"""
ARTICLE = """<html lang="en"><head><title>Parliament debates the defence budget</title>
<meta property="article:published_time" content="2025-03-14T10:00:00+00:00"></head><body><article>
<h1>Parliament debates the defence budget</h1>
<p>Members of parliament debated the defence budget on Friday, with the opposition asking for more money for
ammunition and air defence and the government defending its plan to spread the increase over five years.</p>
<p>The vote is expected next week. Several members said they would support the plan only if the ministry publishes
a detailed schedule of deliveries for the equipment already ordered.</p></article></body></html>"""


class BusyOutlet(BaseHTTPRequestHandler):
    """Answers the feed at once, and the article with 429 + Retry-After: 1 the first time, 200 after."""

    log: list[tuple[str, int, float]] = []

    def do_GET(self) -> None:  # noqa: N802
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        seen = [entry for entry in self.log if entry[0] == self.path]
        if self.path == "/article" and not seen:
            status, body, headers = 429, b"slow down", {"Retry-After": "1"}
        elif self.path == "/feed.xml":
            status, body, headers = 200, FEED.format(base=base).encode(), {"Content-Type": "application/rss+xml"}
        elif self.path == "/article":
            status, body, headers = 200, ARTICLE.encode(), {"Content-Type": "text/html; charset=utf-8"}
        else:
            status, body, headers = 404, b"", {}
        self.log.append((self.path, status, datetime.now(timezone.utc).timestamp()))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def busy_outlet() -> Iterator[str]:
    BusyOutlet.log = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), BusyOutlet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_parse_retry_after_seconds_and_dates() -> None:
    now = datetime(2025, 3, 14, 12, 0, tzinfo=timezone.utc)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_a_429_with_retry_after_is_waited_out_then_fetched(busy_outlet: str, tmp_path: Path, db_url: str) -> None:
    catalogue = tmp_path / "c.toml"
    assert run_monitor("sources", "add", "busy", "--feed", f"{busy_outlet}/feed.xml", "--language", "en",
                       "--catalogue", str(catalogue), "--new").returncode == 0
    result = run_monitor("crawl", "busy", "--catalogue", str(catalogue), "--db", db_url,
                         "--set", "AUTOTHROTTLE_ENABLED=False")
    assert result.returncode == 0, result.stderr[-2000:]
    run = json.loads(result.stdout)
    article = [(status, at) for path, status, at in BusyOutlet.log if path == "/article"]
    assert [status for status, _ in article] == [429, 200]
    assert article[1][1] - article[0][1] >= 0.9  # the announced second was waited out
    assert run["stored"] == 1
