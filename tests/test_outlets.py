"""Every catalogue entry is tested against its replica fixture over loopback (City Scrapers style).

``tests/fixtures/outlets/<name>/`` mirrors the outlet's real URL paths (links
written as ``{{SITE}}/...``) and holds ``expected.json``; the REAL catalogue
entry is pointed at it with ``monitor.catalogue.offline`` and crawled by the real
``monitor crawl`` command. One crawl subprocess covers every outlet (and a second
one checks incremental crawling), so the suite stays fast. A new catalogue entry
without a fixture fails here with the path to create.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import monitor.enrich
from monitor.catalogue import BUNDLED_CATALOGUE, CatalogueError, Source, load_catalogue
from monitor.catalogue.coverage import compare, load_expected, offline_source, stored_articles
from monitor.catalogue.fixtures import FixtureServer, fixture_path
from monitor.catalogue.write import format_catalogue
from monitor.db import connect
from monitor.db.models import CrawlRun
from tests.conftest import run_monitor

SOURCES = load_catalogue(BUNDLED_CATALOGUE)
# PDF documents reach the extract stage as bytes; until monitor.enrich.apply_extraction calls
# monitor.extract.document.extract_document, PDF entries of expected.json are checked only at the spider level.
PDF_HOOK = "extract_document" in inspect.getsource(monitor.enrich)
FAST = ("--set", "AUTOTHROTTLE_ENABLED=False", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=8")


def crawl_all(catalogue: Path, db_url: str, tmpdir: Path) -> list[dict[str, Any]]:
    result = run_monitor("crawl", "--catalogue", str(catalogue), "--db", db_url, *FAST, timeout=400,
                         env={"TMPDIR": str(tmpdir)})
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def outlets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("outlets")
    db_url = f"sqlite:///{tmp / 'monitor.sqlite'}"
    with FixtureServer() as server:
        offline = [offline_source(s, server.base_url) for s in SOURCES if fixture_path(s.name).is_dir()]
        catalogue = tmp / "offline.toml"
        catalogue.write_text(format_catalogue(offline), encoding="utf-8")
        tmpdir = tmp / "tmp"  # where the crawls' request queues are spilled (monitor/crawl/queue.py)
        tmpdir.mkdir()
        first = crawl_all(catalogue, db_url, tmpdir)
        mark = len(server.requests)
        second = crawl_all(catalogue, db_url, tmpdir)
        second_requests = server.requests[mark:]
    engine = connect(db_url)
    with engine.connect() as connection:
        runs = connection.execute(select(CrawlRun.source, CrawlRun.stats).order_by(CrawlRun.started)).all()
    yield {"second_stats": {source: stats for source, stats in runs},  # the latest run per source wins
           "all_stats": runs, "tmp_left": sorted(p.name for p in tmpdir.iterdir()),
           "first": {r["source"]: r for r in first}, "second": {r["source"]: r for r in second},
           "second_requests": second_requests,
           "stored": {s.name: stored_articles(engine, s.name) for s in offline}}


def test_the_catalogue_covers_the_outlets_the_monitors_follow() -> None:
    names = {s.name for s in SOURCES}
    assert len(SOURCES) >= 20
    assert {"b2-bruxelles2", "nato-newsroom", "shape", "eeas-press", "council-eu-press", "europarl-press", "eda",
            "euractiv-defence", "politico-europe-defence", "euobserver", "defense-news", "breaking-defense",
            "the-defense-post", "opex360", "augen-geradeaus", "defence24", "global-coalition", "inherent-resolve",
            "uk-mod", "french-armed-forces"} <= names
    assert {s.kind for s in SOURCES} >= {"feed", "sitemap", "wordpress", "listing"}
    assert all(url.startswith("https://") for s in SOURCES for url in s.start_urls)


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.name)
def test_outlet_fixture_yields_complete_items(source: Source, outlets: dict[str, Any]) -> None:
    try:
        expected = load_expected(source.name)
    except CatalogueError as exc:
        pytest.fail(str(exc))
    checked = [e for e in expected if PDF_HOOK or not e.get("pdf")]
    assert checked, f"{fixture_path(source.name)}/expected.json lists no articles"
    assert compare(checked, outlets["stored"][source.name]) == []
    run = outlets["first"][source.name]
    assert run["status"] == "finished" and run["errors"] == 0


def test_a_second_crawl_of_unchanged_outlets_downloads_no_article_page(outlets: dict[str, Any]) -> None:
    second = outlets["second"].values()
    assert sum(run["article_requests"] for run in second) == 0
    assert sum(run["stored"] for run in second) == 0
    article_paths = {f"/{name}{path}" for name, stored in outlets["stored"].items() for path in stored}
    assert article_paths and not article_paths & set(outlets["second_requests"])


def test_every_kind_of_spider_queues_its_requests_on_disk_and_cleans_up(outlets: dict[str, Any]) -> None:
    """Feed, sitemap, WordPress and listing requests all serialize to the temporary disk queue; none is left."""
    for source, stats in outlets["all_stats"]:
        assert stats.get("scheduler/enqueued", 0) >= 1, source
        assert stats.get("scheduler/enqueued/disk") == stats["scheduler/enqueued"], (source, stats)
        assert "scheduler/unserializable" not in stats, source
    assert outlets["tmp_left"] == []


def test_unchanged_listings_are_answered_not_modified(outlets: dict[str, Any]) -> None:
    # every source's first listing request carries the validators of the first run and gets a 304
    stats = outlets["second_stats"]
    assert len(stats) == len(outlets["stored"])
    # WordPress API URLs gain after=<newest stored article> on the second crawl, a new URL without validators
    kinds = {s.name: s.kind for s in SOURCES}
    assert all(s.get("monitor/not_modified", 0) >= 1 for name, s in stats.items() if kinds[name] != "wordpress")
    assert all(s.get("monitor/articles_seen_skipped", 0) >= 1 for name, s in stats.items() if kinds[name] == "wordpress")
