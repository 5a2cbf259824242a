"""Incremental crawling over loopback: new feed entries cost exactly their downloads; paging stops at the last crawl."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from monitor.catalogue import BUNDLED_CATALOGUE, find_source, load_catalogue
from monitor.catalogue.coverage import offline_source
from monitor.catalogue.fixtures import FixtureServer, fixture_path
from monitor.catalogue.write import format_catalogue
from tests.conftest import run_monitor

FAST = ("--set", "AUTOTHROTTLE_ENABLED=False")
NEW_ENTRIES = """
	<item>
		<title>Second new article {n}</title>
		<link>{{{{SITE}}}}/2025/03/new-article-{n}/</link>
		<pubDate>Sat, 15 Mar 2025 1{n}:00:00 +0100</pubDate>
		<guid isPermaLink="false">{{{{SITE}}}}/?p=777{n}</guid>
	</item>"""

FRESH_TEXT = [
    ["The Commission presented on Saturday a plan to speed up permits for new munitions factories across Europe.",
     "Under the proposal, national authorities would have sixty days to decide on a request, and projects of common "
     "interest could receive loans from the European Investment Bank on easier terms than today.",
     "Industry groups welcomed the plan but said that skilled workers, not permits, are now the main bottleneck."],
    ["Naval chiefs from the Nordic and Baltic states met in Tallinn to coordinate patrols protecting undersea cables.",
     "They agreed to share sonar data in real time and to rotate the command of a small task group every six "
     "months, starting with the Estonian navy this spring.",
     "Officials said the arrangement would be reviewed after a year, once the first lessons have been drawn."],
]


def crawl(catalogue: Path, db_url: str, *extra: str) -> dict[str, Any]:
    result = run_monitor("crawl", "--catalogue", str(catalogue), "--db", db_url, *FAST, *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[0])


def copy_outlet(name: str, root: Path) -> Path:
    shutil.copytree(fixture_path(name), root / name)
    return root / name


def test_a_feed_with_two_new_entries_costs_exactly_two_downloads(tmp_path: Path, db_url: str) -> None:
    site = copy_outlet("b2-bruxelles2", tmp_path / "sites")
    article = (site / "2025/03/eu-defence-ministers-joint-ammunition-purchase/index.html").read_text()
    with FixtureServer(tmp_path / "sites") as server:
        catalogue = tmp_path / "c.toml"
        source = find_source(load_catalogue(BUNDLED_CATALOGUE), "b2-bruxelles2")
        catalogue.write_text(format_catalogue([offline_source(source, server.base_url)]))
        first = crawl(catalogue, db_url)
        feed = site / "feed/index.xml"
        feed.write_text(feed.read_text().replace("<sy:updatePeriod>", "".join(
            NEW_ENTRIES.format(n=n) for n in (1, 2)) + "\n\t<sy:updatePeriod>"))
        for n in (1, 2):
            page = site / f"2025/03/new-article-{n}/index.html"
            page.parent.mkdir(parents=True)
            body = FRESH_TEXT[n - 1]
            head = article.split('<div class="entry-content">')[0].replace(  # its own canonical URL and title
                "eu-defence-ministers-joint-ammunition-purchase", f"new-article-{n}").replace(
                "EU defence ministers agree on a joint ammunition purchase for Ukraine", f"Second new article {n}")
            page.write_text(head + '<div class="entry-content">'
                            + "".join(f"<p>{p}</p>" for p in body) + "</div></article></main></body></html>")
        mark = len(server.requests)
        second = crawl(catalogue, db_url)
        fetched = [path for path in server.requests[mark:] if "/2025/" in path]
    assert first["article_requests"] == first["stored"] == 2
    assert second["article_requests"] == 2 and second["seen_skipped"] == 2
    assert sorted(fetched) == ["/b2-bruxelles2/2025/03/new-article-1/", "/b2-bruxelles2/2025/03/new-article-2/"]
    assert second["stored"] == 2, json.dumps(second)


def test_listing_paging_stops_at_articles_older_than_the_last_crawl(tmp_path: Path, db_url: str) -> None:
    site = copy_outlet("global-coalition", tmp_path / "sites")
    with FixtureServer(tmp_path / "sites") as server:
        source = find_source(load_catalogue(BUNDLED_CATALOGUE), "global-coalition")
        catalogue = tmp_path / "c.toml"
        catalogue.write_text(format_catalogue([offline_source(source, server.base_url)]))
        first = crawl(catalogue, db_url)
        first_requests = list(server.requests)
        listing = site / "en/category/news/index.html"  # a change on page 1 (a new teaser) defeats the 304
        listing.write_text(listing.read_text().replace("<main id=\"main\">", "<main id=\"main\"><!-- updated -->"))
        mark = len(server.requests)
        second = crawl(catalogue, db_url)
        second_requests = server.requests[mark:]
        mark = len(server.requests)
        backfill = crawl(catalogue, db_url, "--backfill", "--since", "2025-01-01")
        backfill_requests = server.requests[mark:]
    page2 = "/global-coalition/en/category/news/page/2/"
    assert first["stored"] == 3 and page2 in first_requests  # no history yet: follow up to max_pages
    assert second["stored"] == 0 and page2 not in second_requests  # page 1 already reaches the stored articles
    assert page2 in backfill_requests and backfill["seen_skipped"] == 3 and backfill["article_requests"] == 0


def test_wordpress_api_pages_until_a_short_page(tmp_path: Path, db_url: str) -> None:
    with FixtureServer() as server:
        source = find_source(load_catalogue(BUNDLED_CATALOGUE), "the-defense-post")
        catalogue = tmp_path / "c.toml"
        catalogue.write_text(format_catalogue([offline_source(source, server.base_url)]))
        mark = len(server.requests)
        run = crawl(catalogue, db_url, "--set", "MONITOR_WP_PER_PAGE=2")
        requests = server.requests[mark:]
    api = [path for path in requests if "wp-json" in path]
    assert api == ["/the-defense-post/wp-json/wp/v2/posts", "/the-defense-post/wp-json/wp/v2/posts/page/2/"]
    assert run["stored"] == 3  # two posts on page 1, one on the short page 2, which ends the paging
