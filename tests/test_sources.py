"""Sources: catalogue entries, offline fixtures, `monitor sources ...`, and source health."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from monitor.catalogue import (BUNDLED_CATALOGUE, CatalogueError, check_catalogue, find_source, load_catalogue,
                               offline, parse_entry)
from monitor.catalogue.fixtures import fixture_path
from monitor.catalogue.health import PRUNED, RunRecord, assess
from monitor.catalogue.write import append_entry, format_catalogue
from monitor.replica import ReplicaServer
from tests.conftest import run_monitor

NOW = datetime(2025, 3, 20, 12, 0, tzinfo=timezone.utc)


def run(hours_ago: float, *, status: str = "finished", **stats: int) -> RunRecord:
    return RunRecord(NOW - timedelta(hours=hours_ago), status, {k.replace("__", "/"): v for k, v in stats.items()})


def healthy(hours_ago: float) -> RunRecord:
    return run(hours_ago, monitor__listed=5, monitor__extracted=2, downloader__request_count=4)


def daily(days: int) -> list[datetime]:
    return [NOW - timedelta(days=d) for d in range(days)]


# --- health --------------------------------------------------------------------------------
def test_a_source_that_delivers_is_ok() -> None:
    health = assess([healthy(h) for h in (1, 2, 3, 4)], daily(10), now=NOW)
    assert health.status == "ok" and health.reasons == []
    assert health.last_success == NOW - timedelta(hours=1) and health.articles_per_day == pytest.approx(10 / 30, 0.01)


def test_never_crawled_is_unknown_and_one_bad_run_is_a_warning() -> None:
    assert assess([], [], now=NOW).status == "unknown"
    health = assess([healthy(3), healthy(2), run(1, status="failed: shutdown", monitor__listed=3)], daily(5), now=NOW)
    assert health.status == "warning" and "failed: shutdown" in health.reasons[0]


def test_finding_nothing_for_several_runs_is_broken_but_unchanged_feeds_are_not() -> None:
    nothing = [healthy(10)] + [run(h, downloader__request_count=2) for h in (3, 2, 1)]
    health = assess(nothing, daily(5), now=NOW)
    assert health.status == "broken" and "found no article links in the last 3 runs" in health.reasons
    unchanged = [healthy(10)] + [run(h, monitor__not_modified=1) for h in (3, 2, 1)]
    assert assess(unchanged, daily(5), now=NOW).status == "ok"


def test_an_empty_extraction_jump_is_broken() -> None:
    before = [healthy(h) for h in (9, 8, 7, 6)]
    after = [run(h, monitor__listed=4, monitor__dropped__empty_extraction=2) for h in (3, 2, 1)]
    health = assess(before + after, daily(5), now=NOW)
    assert health.status == "broken"
    assert any(re.search(r"empty extractions jumped to 100% .*before: 0%", r) for r in health.reasons)
    # a source whose pages were always thin is not "broken" by the same rate
    always = [run(h, monitor__listed=4, monitor__extracted=1, monitor__dropped__empty_extraction=1) for h in range(9, 0, -1)]
    assert assess(always, daily(5), now=NOW).status == "ok"


def test_an_error_jump_and_a_silent_feed_are_broken() -> None:
    errors = [healthy(h) for h in (9, 8, 7)] + [
        run(h, monitor__listed=1, downloader__request_count=4, **{"downloader__response_status_count__503": 4})
        for h in (3, 2, 1)]
    assert any("error responses jumped" in r for r in assess(errors, daily(5), now=NOW).reasons)
    hourly = [NOW - timedelta(days=9, hours=h) for h in range(20)]  # published every hour, then nothing for 9 days
    health = assess([healthy(h) for h in (240, 2, 1)], hourly, now=NOW)  # watched for 10 days
    assert health.status == "broken" and "usually publishes every 1 h" in health.reasons[0]


def test_silence_counts_from_when_the_source_was_first_crawled() -> None:
    """An outlet added with old articles (an archive, the demo's replica) was not silent while unwatched."""
    hourly = [NOW - timedelta(days=400, hours=h) for h in range(20)]
    assert assess([healthy(2), healthy(1)], hourly, now=NOW).status == "ok"
    assert assess([healthy(47), healthy(1)], hourly, now=NOW).status == "ok"  # under MIN_SILENCE (2 days)
    watched = assess([healthy(50), healthy(1)], hourly, now=NOW)
    assert watched.status == "broken" and watched.reasons[0].startswith("silent for 2 days 2 h")


def feed_404(hours_ago: float) -> RunRecord:
    """A run whose feed answered 404 (robots.txt and the feed requested), as the crawl records it."""
    return run(hours_ago, status="finished_with_errors", downloader__request_count=2, monitor__run_errors=1,
               monitor__errors__http_404=1, monitor__errors__count=1)


def test_a_rate_jump_needs_earlier_runs_to_jump_from() -> None:
    """No history is no baseline, not a 0 % one: a new source's first failing runs are warnings."""
    for runs in ([feed_404(1)], [feed_404(2), feed_404(1)]):
        health = assess(runs, [], now=NOW)
        assert health.status == "warning" and not any("jumped" in r for r in health.reasons), health.reasons
    thin = [run(h, monitor__listed=4, monitor__dropped__empty_extraction=4) for h in (2, 1)]
    assert not any("jumped" in r for r in assess(thin, [], now=NOW).reasons)
    # with earlier healthy runs the same failures are a jump, and three in a row a failing source
    health = assess([healthy(h) for h in (9, 8, 7)] + [feed_404(h) for h in (3, 2, 1)], daily(5), now=NOW)
    assert health.status == "broken"
    assert any(r.startswith("error responses jumped to 50% of requests (before: 0%)") for r in health.reasons)
    assert "the last 3 runs failed or logged errors" in health.reasons


def test_the_specific_cause_comes_first_and_names_the_start_url_by_kind() -> None:
    failing = [healthy(h) for h in (9, 8, 7)] + [feed_404(h) for h in (3, 2, 1)]
    assert assess(failing, daily(5), now=NOW, kind="feed").reasons[0] == "the feed failed: 1 http_404"
    assert assess(failing, daily(5), now=NOW, kind="sitemap").reasons[0] == "the sitemap failed: 1 http_404"
    assert assess(failing, daily(5), now=NOW).reasons[0] == "the start URL failed: 1 http_404"
    # a run that listed articles lost pages; an unparseable feed is the feed's failure whatever else happened
    mixed = run(1, status="finished_with_errors", monitor__listed=5, monitor__run_errors=3,
                monitor__errors__timeout=2, monitor__errors__feed_invalid=1)
    assert assess([healthy(2), mixed], daily(5), now=NOW, kind="feed").reasons == [
        "the feed failed: 1 feed_invalid", "the last run lost pages: 2 timeout"]
    # a failed run with nothing counted by reason still says how it ended
    crashed = run(1, status="failed: shutdown", monitor__listed=3)
    assert assess([healthy(2), crashed], daily(5), now=NOW).reasons == ["the last run failed: shutdown"]


def test_pruned_runs_are_not_never_crawled() -> None:
    assert assess([], [NOW - timedelta(days=3)], now=NOW).reasons == [PRUNED]
    assert assess([], [None], now=NOW).reasons == [PRUNED]  # an article without a date is an article
    assert assess([], [], now=NOW).reasons == ["never crawled"]


# --- catalogue ------------------------------------------------------------------------------
def test_offline_points_the_real_entry_at_its_fixture() -> None:
    source = find_source(load_catalogue(BUNDLED_CATALOGUE), "defense-news")
    moved = offline(source, "http://127.0.0.1:8000/")
    assert moved.start_urls == ("http://127.0.0.1:8000/defense-news/arc/outboundfeeds/rss/?outputType=xml",)
    assert moved.homepage == "http://127.0.0.1:8000/defense-news/" and moved.selectors == source.selectors


@pytest.mark.parametrize(("extra", "field"), [
    ({"politeness": {"speed": 3}}, "politeness.speed"),
    ({"politeness": {"concurrency": 20}}, "politeness.concurrency"),
    ({"paywall": "yes"}, "paywall"),
    ({"max_pages": 0}, "max_pages"),
    ({"url_pattern": "(unclosed"}, "url_pattern"),
    ({"homepage": "nope"}, "homepage"),
    ({"kind": "listing"}, "selectors"),
    ({"kind": "module"}, "spider"),
])
def test_new_fields_are_validated(extra: dict, field: str) -> None:
    entry = {"name": "x", "kind": "feed", "start_urls": ["https://a.eu/feed"], **extra}
    with pytest.raises(CatalogueError, match=rf"f.toml: entry 1 \(x\): field '{re.escape(field)}'"):
        parse_entry(entry, where="f.toml: entry 1")


def test_written_entries_read_back_and_check_reports_every_bad_entry(tmp_path: Path) -> None:
    sources = load_catalogue(BUNDLED_CATALOGUE)
    path = tmp_path / "copy.toml"
    path.write_text(format_catalogue(sources))
    assert load_catalogue(path) == sources
    append_entry(path, {"name": "new-one", "kind": "feed", "start_urls": ["https://n.eu/feed"], "languages": ["fr"]})
    assert find_source(load_catalogue(path), "new-one").languages == ("fr",)
    with pytest.raises(CatalogueError, match="field 'name': a source with this name exists"):
        append_entry(path, {"name": "new-one", "kind": "feed", "start_urls": ["https://n.eu/feed"]})
    path.write_text(path.read_text() + '\n[[source]]\nname = "bad"\nkind = "x"\nstart_urls = ["https://a.eu"]\n'
                    '\n[[source]]\nname = "worse"\nkind = "feed"\nstart_urls = []\n')
    problems = check_catalogue(path)
    assert len(problems) == 2 and "(bad): field 'kind'" in problems[0] and "(worse): field 'start_urls'" in problems[1]


# --- the command line ----------------------------------------------------------------------
def test_sources_add_then_crawl_stores_the_feeds_articles(replica: ReplicaServer, tmp_path: Path, db_url: str) -> None:
    catalogue = tmp_path / "sources.toml"
    added = run_monitor("sources", "add", "replica-b2", "--feed", f"{replica.base_url}/b2/feed/",
                        "--outlet", "B2 replica", "--language", "fr", "--catalogue", str(catalogue), "--new")
    assert added.returncode == 0, added.stderr
    assert find_source(load_catalogue(catalogue), "replica-b2").start_urls == (f"{replica.base_url}/b2/feed/",)
    crawled = run_monitor("crawl", "replica-b2", "--catalogue", str(catalogue), "--db", db_url,
                          "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=8")
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    assert json.loads(crawled.stdout)["stored"] >= 10, crawled.stdout + crawled.stderr[-3000:]
    from sqlalchemy import func, select

    from monitor.db import connect
    from monitor.db.models import Article, ArticleTopic

    with connect(db_url).connect() as connection:
        languages = dict(connection.execute(select(Article.language, func.count()).group_by(Article.language)).all())
        tagged = connection.execute(select(func.count(func.distinct(ArticleTopic.article_id)))).scalar_one()
    assert set(languages) <= {"fr", "en"} and languages.get("fr", 0) >= 5 and tagged >= 5
    listed = run_monitor("sources", "list", "--json", "--catalogue", str(catalogue), "--db", db_url)
    row = json.loads(listed.stdout)
    assert row["name"] == "replica-b2" and row["last_success"] and row["runs"] == 1
    # the replica's articles are from 2024-2025, but silence counts from the first crawl, minutes ago
    assert row["status"] == "ok", row["reasons"]


def test_sources_add_rejects_a_bad_entry_in_one_line(tmp_path: Path) -> None:
    result = run_monitor("sources", "add", "bad name", "--feed", "https://a.eu/feed", "--catalogue",
                         str(tmp_path / "s.toml"))
    assert result.returncode != 0 and "field 'name'" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "s.toml").exists()


def test_sources_add_to_a_missing_file_needs_new(tmp_path: Path) -> None:
    """A mistyped --catalogue path must not silently start a second catalogue that no crawl reads."""
    typo = tmp_path / "sources.tmol"
    result = run_monitor("sources", "add", "x", "--feed", "https://a.eu/feed", "--catalogue", str(typo))
    assert result.returncode == 1 and f"{typo}: no such catalogue file" in result.stderr and "--new" in result.stderr
    assert not typo.exists()
    started = run_monitor("sources", "add", "x", "--feed", "https://a.eu/feed", "--catalogue", str(typo), "--new")
    assert started.returncode == 0, started.stderr
    assert [s.name for s in load_catalogue(typo)] == ["x"]


def test_sources_check_show_and_test(tmp_path: Path) -> None:
    checked = run_monitor("sources", "check")
    assert checked.returncode == 0 and "all entries valid" in checked.stdout and "note:" not in checked.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[[source]]\nname = "x"\nkind = "feed"\nstart_urls = ["https://a.eu"]\npoll_interval_minutes = 0\n')
    result = run_monitor("sources", "check", "--catalogue", str(bad))
    assert result.returncode == 1 and f"{bad}: entry 1 (x): field 'poll_interval_minutes'" in result.stderr
    db = f"sqlite:///{tmp_path / 'm.sqlite'}"
    assert run_monitor("db", "upgrade", "--db", db).returncode == 0
    shown = run_monitor("sources", "show", "eeas-press", "--db", db)
    entry = json.loads(shown.stdout)
    assert entry["kind"] == "listing" and entry["selectors"]["teaser"] and entry["health"]["status"] == "unknown"
    tested = run_monitor("sources", "test", "defence24", "--json")
    assert tested.returncode == 0, tested.stderr[-2000:]
    report = json.loads(tested.stdout)
    assert report["articles"] == report["expected"] == 2 and report["problems"] == []
    assert report["coverage"] == {"title": 1.0, "authors": 1.0, "published": 1.0, "text": 1.0, "language": 1.0}


def test_a_source_without_a_fixture_fails_with_the_path_to_create(tmp_path: Path) -> None:
    catalogue = tmp_path / "s.toml"
    append_entry(catalogue, {"name": "brand-new", "kind": "feed", "start_urls": ["https://n.eu/feed"]}, create=True)
    result = run_monitor("sources", "test", "brand-new", "--catalogue", str(catalogue))
    assert result.returncode != 0 and "has no replica fixture: create" in result.stderr
    assert str(fixture_path("brand-new")) in result.stderr


def test_an_outlet_whose_markup_changes_is_flagged_broken(tmp_path: Path, db_url: str) -> None:
    """Version 2 of the replica: two new feed entries whose pages lost their article body (a redesign)."""
    from monitor.catalogue.coverage import offline_source
    from monitor.catalogue.fixtures import FixtureServer

    site = tmp_path / "sites" / "uk-mod"
    shutil.copytree(fixture_path("uk-mod"), site)
    source = find_source(load_catalogue(BUNDLED_CATALOGUE), "uk-mod")
    with FixtureServer(tmp_path / "sites") as server:
        catalogue = tmp_path / "c.toml"
        catalogue.write_text(format_catalogue([offline_source(source, server.base_url)]))
        crawl = ("crawl", "--catalogue", str(catalogue), "--db", db_url, "--set", "AUTOTHROTTLE_ENABLED=False")
        assert json.loads(run_monitor(*crawl).stdout)["stored"] == 2
        feed = site / "government/organisations/ministry-of-defence.atom"
        entries = []
        for n in (1, 2):
            path = f"/government/news/redesigned-page-{n}"
            page = site / path.lstrip("/") / "index.html"
            page.parent.mkdir(parents=True)
            page.write_text(f'<html lang="en"><head><title>Redesign {n}</title></head><body>'
                            f'<div id="app" data-page="{path}"></div><script src="/app.js"></script></body></html>')
            entries.append(f'<entry><id>tag:new{n}</id><updated>2025-03-1{5 + n}T10:00:00+00:00</updated>'
                           f'<link rel="alternate" type="text/html" href="{{{{SITE}}}}{path}"/>'
                           f'<title>Redesign {n}</title></entry>')
        feed.write_text(feed.read_text().replace("</feed>", "".join(entries) + "</feed>"))
        runs = [json.loads(run_monitor(*crawl).stdout) for _ in range(3)]
    assert runs[0]["dropped_empty"] == 2 and all(r["stored"] == 0 for r in runs)
    listed = run_monitor("sources", "list", "--json", "--catalogue", str(catalogue), "--db", db_url)
    row = json.loads(listed.stdout)
    assert row["status"] == "broken", row
    assert any("empty extractions jumped to 100%" in reason for reason in row["reasons"])


def sources(*args: str, env: dict[str, str | None] | None = None):
    """``monitor sources ARGS`` in this process (stdout and stderr apart)."""
    from click.testing import CliRunner

    from monitor.cli import cli

    return CliRunner().invoke(cli, ["sources", *args], env={"MONITOR_CATALOGUE": None, **(env or {})})


@pytest.fixture
def created_db(db_url: str) -> str:
    assert run_monitor("db", "upgrade", "--db", db_url).returncode == 0
    return db_url


def test_the_groups_catalogue_applies_to_every_subcommand(created_db: str, tmp_path: Path) -> None:
    from monitor.replica import CATALOGUE

    checked = sources("--catalogue", str(CATALOGUE), "check")
    assert checked.exit_code == 0 and checked.stdout == f"{CATALOGUE}: all entries valid\n", checked.output
    listed = sources("--catalogue", str(CATALOGUE), "--db", created_db, "list", "--json")
    assert [json.loads(line)["name"] for line in listed.stdout.splitlines()] == ["b2", "nato", "eeas", "defnews"]
    shown = sources("--catalogue", str(CATALOGUE), "--db", created_db, "show", "b2")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["outlet"] == "B2 Bruxelles2 (replica)", shown.output
    tested = sources("--catalogue", str(CATALOGUE), "test", "b2")  # found in the replica catalogue; no fixture
    assert tested.exit_code == 1 and "source 'b2' has no replica fixture" in tested.output, tested.output
    assert sources("--json", "--db", created_db, "list").stdout.startswith("{")
    twice = sources("--catalogue", str(CATALOGUE), "check", "--catalogue", str(tmp_path / "other.toml"))
    assert twice.exit_code == 2 and "--catalogue given twice" in twice.output, twice.output


def test_sources_only_the_database_knows_are_listed_and_shown(created_db: str) -> None:
    """`monitor demo` crawls the replica catalogue: its sources are in the database, not the bundled catalogue."""
    from sqlalchemy import insert

    from monitor.db import connect
    from monitor.db.models import CrawlRun
    from tests.test_search_fixtures import add_article

    engine = connect(created_db)
    add_article(engine, "b2", "Titre", "OTAN " * 20, language="fr")
    with engine.begin() as connection:
        connection.execute(insert(CrawlRun).values(run_key="r1", source="gone", started=NOW, finished=NOW,
                                                   status="finished", stats={"monitor/listed": 3}))
    rows = {row["name"]: row for row in map(json.loads, sources("list", "--json", "--db", created_db).stdout.splitlines())}
    assert rows["b2"]["in_catalogue"] is False and rows["b2"]["reasons"][0].startswith("not in catalogue")
    assert rows["gone"]["in_catalogue"] is False and rows["gone"]["runs"] == 1
    assert rows["defense-news"]["in_catalogue"] is True
    table = sources("--db", created_db)
    assert any(line.startswith("b2 ") and "not in catalogue" in line for line in table.stdout.splitlines())
    shown = sources("show", "b2", "--db", created_db)
    assert shown.exit_code == 0, shown.output
    entry = json.loads(shown.stdout)
    assert entry["in_catalogue"] is False and entry["languages"] == [] and entry["health"]["last_article"]
    unknown = sources("show", "nowhere", "--db", created_db)
    assert unknown.exit_code == 1 and "unknown source 'nowhere'" in unknown.output


def test_check_notes_missing_fixtures_only_for_the_bundled_catalogue(tmp_path: Path) -> None:
    own = tmp_path / "own.toml"
    append_entry(own, {"name": "our-outlet", "kind": "feed", "start_urls": ["https://n.eu/feed"]}, create=True)
    checked = sources("check", "--catalogue", str(own))
    assert checked.exit_code == 0 and checked.stderr == "", checked.stderr
    asked = sources("check", "--catalogue", str(own), "--fixtures", str(tmp_path / "fx"))
    assert asked.exit_code == 0
    assert asked.stderr == f"note: our-outlet: no replica fixture at {tmp_path / 'fx' / 'our-outlet'} (tests will fail)\n"


@pytest.mark.parametrize("concurrency, total", [(1, 4), (6, 6)])
def test_a_sources_concurrency_is_within_its_crawlers_cap(concurrency: int, total: int) -> None:
    """One crawler per source: the per-crawler cap (CONCURRENT_REQUESTS) must not undercut the source's own."""
    from monitor.catalogue import Source
    from spiders.feed import FeedSpider

    source = Source(name="s", outlet="S", kind="feed", start_urls=("https://s.eu/feed/",),
                    politeness={"concurrency": concurrency})
    assert FeedSpider.for_source(source).custom_settings == {
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency, "CONCURRENT_REQUESTS": total}


def test_one_bad_entry_leaves_the_others_listed_and_fails_the_command(created_db: str, tmp_path: Path) -> None:
    """An entry being edited must not blank the health view; crawls still refuse the whole file."""
    catalogue = tmp_path / "sources.toml"
    catalogue.write_text('[[source]]\nname = "good"\nkind = "feed"\noutlet = "Good"\nlanguages = ["en"]\n'
                         'start_urls = ["http://127.0.0.1:9/feed"]\n\n'
                         '[[source]]\nname = "bad"\nkind = "feed"\noutlet = "Bad"\nlanguage = ["en"]\n'
                         'start_urls = ["http://127.0.0.1:9/feed"]\n')
    listed = sources("list", "--json", "--catalogue", str(catalogue), "--db", created_db)
    assert listed.exit_code == 1
    assert [json.loads(line)["name"] for line in listed.stdout.splitlines()] == ["good"]
    assert "entry 2 (bad): field 'language': unknown field: did you mean 'languages'?" in listed.stderr
    assert "1 invalid catalogue entry left out above" in listed.stderr
    crawled = run_monitor("crawl", "--catalogue", str(catalogue), "good", "--db", created_db)
    assert crawled.returncode != 0 and "field 'language'" in crawled.stderr


REMOVABLE = """# My catalogue

# Brussels blog
[[source]]
name = "one"
outlet = "One"
kind = "feed"
start_urls = ["http://127.0.0.1:9/one"]

# the second, with selectors
[[source]]
name = "two"
outlet = "Two"
kind = "listing"
start_urls = ["http://127.0.0.1:9/two"]
[source.selectors]
"teaser" = "article"

[[source]]
name = "three"
outlet = "Three"
kind = "feed"
start_urls = ["http://127.0.0.1:9/three"]
"""


def test_remove_cuts_one_entry_with_its_comments_and_keeps_the_rest_as_written(tmp_path: Path) -> None:
    catalogue = tmp_path / "sources.toml"
    catalogue.write_text(REMOVABLE)
    catalogue.chmod(0o640)
    removed = sources("remove", "two", "--catalogue", str(catalogue))
    assert removed.exit_code == 0, removed.output
    assert removed.stdout.startswith(f"{catalogue}: removed two (listing, http://127.0.0.1:9/two)")
    text = catalogue.read_text()
    assert "two" not in text and "the second" not in text and "[source.selectors]" not in text
    assert text.startswith("# My catalogue\n\n# Brussels blog\n[[source]]\nname = \"one\"")
    assert text.endswith('name = "three"\noutlet = "Three"\nkind = "feed"\nstart_urls = ["http://127.0.0.1:9/three"]\n')
    assert [s.name for s in load_catalogue(catalogue)] == ["one", "three"]
    assert catalogue.stat().st_mode & 0o777 == 0o640 and list(tmp_path.iterdir()) == [catalogue]
    assert sources("remove", "one", "--catalogue", str(catalogue)).exit_code == 0
    assert catalogue.read_text().startswith("# My catalogue\n\n[[source]]\nname = \"three\"")
    unknown = sources("remove", "thre", "--catalogue", str(catalogue))
    assert unknown.exit_code == 1 and "unknown source 'thre' (known: three)" in unknown.output
    assert [s.name for s in load_catalogue(catalogue)] == ["three"]
