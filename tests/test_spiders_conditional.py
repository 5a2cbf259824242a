"""Conditional GETs never hide a fix, and a source that finds nothing says so.

Validators belong to a source and its entry: a fixed selector, an edited entry or
a new source on a known URL reads the listing in full. A listing, feed or sitemap
that gave no article link is not remembered, and is warned about naming the URL.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

from monitor.catalogue import BUNDLED_CATALOGUE, Source, find_source, load_catalogue
from monitor.catalogue.coverage import offline_source
from monitor.catalogue.fixtures import FixtureServer
from monitor.catalogue.write import format_catalogue
from tests.conftest import run_monitor

FAST = ("--set", "AUTOTHROTTLE_ENABLED=False")
EMPTY_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Quiet outlet</title><link>{{SITE}}/</link>
<description>nothing yet</description></channel></rss>
"""


def crawl(sources: list[Source], tmp_path: Path, db_url: str) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    catalogue = tmp_path / "c.toml"
    catalogue.write_text(format_catalogue(sources))
    result = run_monitor("crawl", "--catalogue", str(catalogue), "--db", db_url, *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1]), result


def bundled(name: str, base_url: str) -> Source:
    return offline_source(find_source(load_catalogue(BUNDLED_CATALOGUE), name), base_url)


def test_a_fixed_selector_reads_the_listing_in_full(tmp_path: Path, db_url: str) -> None:
    with FixtureServer() as server:
        good = bundled("global-coalition", server.base_url)
        broken = replace(good, selectors={**good.selectors, "teaser": ".teaser-typo"})
        first, result = crawl([broken], tmp_path, db_url)
        again, _ = crawl([broken], tmp_path, db_url)
        fixed, _ = crawl([good], tmp_path, db_url)
    assert first["stored"] == 0 and "no article links on listing" in result.stderr
    assert "/global-coalition/en/category/news/" in result.stderr
    # nothing found: the listing's validators were not saved, so the same entry reads it again ...
    assert again["not_modified"] == 0
    # ... and the fixed entry finds the articles instead of a 304
    assert fixed["not_modified"] == 0 and fixed["stored"] == 3, json.dumps(fixed)


def test_an_edited_entry_reads_its_listing_in_full(tmp_path: Path, db_url: str) -> None:
    with FixtureServer() as server:
        one_page = replace(bundled("global-coalition", server.base_url), max_pages=1)
        first, _ = crawl([one_page], tmp_path, db_url)
        same, _ = crawl([one_page], tmp_path, db_url)
        more, _ = crawl([replace(one_page, max_pages=3)], tmp_path, db_url)
    assert first["stored"] == 2 and same["not_modified"] == 1  # unchanged entry, unchanged page: 304
    assert more["not_modified"] == 0 and more["seen_skipped"] >= 1, json.dumps(more)  # read, not a 304


def test_a_new_source_on_a_crawled_url_gets_the_full_listing(tmp_path: Path, db_url: str) -> None:
    with FixtureServer() as server:
        existing = bundled("global-coalition", server.base_url)
        crawl([existing], tmp_path, db_url)
        newcomer = replace(existing, name="coalition-news")
        first, _ = crawl([existing, newcomer], tmp_path, db_url)  # the last JSON line: the newcomer
    assert first["source"] == "coalition-news"
    assert first["not_modified"] == 0 and first["seen_skipped"] + first["article_requests"] >= 2, json.dumps(first)


def test_a_sitemap_whose_pattern_matches_nothing_warns(tmp_path: Path, db_url: str) -> None:
    with FixtureServer() as server:
        source = replace(bundled("defence24", server.base_url), url_pattern="/articles/")
        run, result = crawl([source], tmp_path, db_url)
        again, _ = crawl([source], tmp_path, db_url)
    assert run["article_requests"] == 0 and run["status"] == "finished"
    assert ("no article links in the sitemaps of defence24" in result.stderr
            and "none of its 2 links matches url_pattern '/articles/'" in result.stderr), result.stderr[-2000:]
    assert again["not_modified"] == 0  # nothing found: not remembered either


def test_a_feed_without_items_warns(tmp_path: Path, db_url: str) -> None:
    feed = tmp_path / "sites" / "quiet" / "feed" / "index.xml"
    feed.parent.mkdir(parents=True)
    feed.write_text(EMPTY_FEED)
    with FixtureServer(tmp_path / "sites") as server:
        source = Source(name="quiet", outlet="Quiet", kind="feed", start_urls=(f"{server.base_url}/quiet/feed/",))
        run, result = crawl([source], tmp_path, db_url)
        again, _ = crawl([source], tmp_path, db_url)
    assert run["status"] == "finished" and run["errors"] == 0
    assert f"no article links in feed {server.base_url}/quiet/feed/: it lists no links" in result.stderr
    assert again["not_modified"] == 0


def test_a_distributed_crawl_neither_sends_nor_saves_validators() -> None:
    """A worker killed with SIGKILL loses the articles it took from Redis; a 304 for the feed on the next seed
    would hide them until the feed changes. So seeders and workers send and store no ETag/Last-Modified."""
    import pytest
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from monitor.crawl.conditional import ConditionalGetMiddleware

    assert isinstance(ConditionalGetMiddleware.from_crawler(get_crawler()), ConditionalGetMiddleware)
    for role in ("seed", "worker"):
        with pytest.raises(NotConfigured):
            ConditionalGetMiddleware.from_crawler(get_crawler(settings_dict={"MONITOR_DISTRIBUTED_ROLE": role}))
