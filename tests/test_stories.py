"""Stories over real crawls: URL variants stored once, wire copies join a story, revisions keep versions.

Each crawl is a separate process, so a copy found in a later crawl is matched
against the story index rebuilt from the persisted signatures.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from monitor.cli.articles import _copy_label
from monitor.db.engine import make_engine
from monitor.extract import extract_article
from monitor.replica import SITES_DIR, TRUTH, ReplicaServer
from tests.conftest import run_monitor
from tests.db_fixtures import db_url  # noqa: F401 - every test here runs on SQLite and PostgreSQL

ORIGINAL = next(a for a in json.loads(TRUTH.read_text()) if a["site"] == "nato" and not a["duplicate_of"])
COPY_PAGE = """<html lang="en"><head><title>{title} | The Paper</title></head><body>
<nav>Home | World | Defence</nav><article><h1>{title}</h1>{paragraphs}</article>
<footer>© The Paper. All rights reserved.</footer></body></html>"""
FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{name}</title>
{items}
</channel></rss>"""
ITEM = "<item><title>{title}</title><link>{{{{SITE}}}}{path}</link><pubDate>Tue, 12 Mar 2024 09:30:00 +0100</pubDate></item>"


def page_path(article: dict) -> Path:
    path = SITES_DIR / article["site"] / article["path"].strip("/")
    return path / "index.html" if path.is_dir() else path


def write_site(root: Path, name: str, pages: dict[str, str], links: list[str]) -> None:
    for url_path, html in pages.items():
        target = root / name / url_path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    feed = root / name / "feed" / "index.xml"
    feed.parent.mkdir(parents=True, exist_ok=True)
    feed.write_text(FEED.format(name=name, items="\n".join(ITEM.format(title=f"t{n}", path=link)
                                                           for n, link in enumerate(links))), encoding="utf-8")


def write_catalogue(root: Path, *names: str) -> Path:
    path = root / "catalogue.toml"
    path.write_text("".join(
        f'[[source]]\nname = "{n}"\noutlet = "{n.title()} Outlet"\nkind = "feed"\nstart_urls = ["{{{{REPLICA}}}}/{n}/feed/"]\n\n'
        for n in names), encoding="utf-8")
    return path


def crawl(server: ReplicaServer, catalogue: Path, db_url: str, *args: str) -> list[dict]:
    result = run_monitor("crawl", *args, "--catalogue", str(catalogue), "--base-url", server.base_url,
                         "--db", db_url, "--set", "AUTOTHROTTLE_ENABLED=False")
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


def query(db_url: str, sql: str) -> list[tuple]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.exec_driver_sql(sql).all()]
    finally:
        engine.dispose()


@pytest.fixture()
def sites(tmp_path: Path):
    html = page_path(ORIGINAL).read_text(encoding="utf-8")
    with ReplicaServer(tmp_path) as server:
        yield tmp_path, server, html


def test_five_url_variants_are_stored_once(sites, db_url: str) -> None:
    root, server, html = sites
    variants = ["/a1/", "/a1/?utm_source=rss&utm_medium=feed", "/a1/?fbclid=XYZ", "/a1", "/a1/amp/"]
    write_site(root, "wire", {"/a1/": html, "/a1/amp/": html}, variants)
    runs = crawl(server, write_catalogue(root, "wire"), db_url)
    assert runs[0]["stored"] == 1
    assert runs[0]["duplicates"] + runs[0]["seen_skipped"] == 4
    assert query(db_url, "select count(*) from articles") == [(1,)]


def wire_copy(html: str) -> str:
    """Another outlet's page of the same story: a new headline, a paragraph of its own, the last paragraph cut."""
    body = [p for p in extract_article(html).text.split("\n") if len(p) > 80]
    own = "Our correspondent in Brussels adds that diplomats expect the decision to be discussed again in June."
    paragraphs = [*body[:2], own, *body[2:-1]]
    return COPY_PAGE.format(title="Allies weigh their next step", paragraphs="".join(f"<p>{p}</p>" for p in paragraphs))


def test_a_wire_copy_in_another_outlet_joins_the_story(sites, db_url: str) -> None:
    root, server, html = sites
    copy = wire_copy(html)
    write_site(root, "wire", {"/a1/": html}, ["/a1/"])
    write_site(root, "paper", {"/copy/": copy}, ["/copy/"])
    catalogue = write_catalogue(root, "wire", "paper")
    assert crawl(server, catalogue, db_url, "wire")[0]["stored"] == 1
    assert crawl(server, catalogue, db_url, "paper")[0]["stored"] == 1
    (original, _, _, _), (copied, story, duplicate_of, similarity) = query(
        db_url, "select id, story_id, duplicate_of, similarity from articles order by id")
    assert story == original and duplicate_of == original and similarity >= 0.6
    shown = run_monitor("story", f"{server.base_url}/paper/copy/", "--json", "--db", db_url)
    assert shown.returncode == 0, shown.stderr
    story_json = json.loads(shown.stdout)
    assert story_json["story_id"] == original and len(story_json["copies"]) == 2
    assert story_json["outlets"] == ["Paper Outlet", "Wire Outlet"]
    # the paper's copy carries its feed's earlier date: it is the original; the wire's page, stored first and
    # compared with, is labelled so instead of an empty similarity
    assert story_json["original"]["id"] == copied
    table = run_monitor("story", str(copied), "--db", db_url).stdout.splitlines()
    assert table[-2].split()[:2] == [str(original), "wire"] and "first stored" in table[-2]
    # ... and the original, itself the copy compared with it, shows its similarity too (it was hidden)
    assert table[-1].split()[0] == str(copied) and f"original · {similarity:.2f}" in table[-1]
    listed = run_monitor("articles", "--json", "--db", db_url)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(rows) == 1 and rows[0]["also_in"] == 1
    assert len(run_monitor("articles", "--json", "--all-copies", "--db", db_url).stdout.splitlines()) == 2


def test_the_story_index_is_loaded_only_by_a_crawl_with_something_new(sites, db_url: str) -> None:
    """A scheduled crawl that finds nothing new must not pay for reading every stored signature."""
    root, server, html = sites
    write_site(root, "wire", {"/a1/": html}, ["/a1/"])
    write_site(root, "paper", {"/copy/": wire_copy(html)}, ["/copy/"])
    catalogue = write_catalogue(root, "wire", "paper")
    assert crawl(server, catalogue, db_url, "wire")[0]["stored"] == 1
    assert crawl(server, catalogue, db_url, "paper")[0]["stored"] == 1
    assert crawl(server, catalogue, db_url, "paper")[0]["stored"] == 0  # nothing new: the copy is a seen URL
    loaded = [json.loads(stats) if isinstance(stats, str) else stats
              for (stats,) in query(db_url, "select stats from crawl_runs order by id")]
    assert [run.get("monitor/story_index/loaded") for run in loaded] == [0, 1, None]
    assert query(db_url, "select count(*) from articles where duplicate_of is not null") == [(1,)]


@pytest.mark.parametrize("index_size, joins", [(4, False), (5, True)])
def test_copies_are_matched_against_the_newest_stored_articles_only(sites, db_url: str, index_size: int,
                                                                    joins: bool) -> None:
    """MONITOR_STORY_INDEX_SIZE bounds the story index: with four newer articles stored after the original,
    an index of 4 no longer holds it (the copy starts a story), one of 5 still does."""
    root, server, html = sites
    others = [a for a in json.loads(TRUTH.read_text()) if a["site"] == "eeas" and not a["duplicate_of"]][:4]
    write_site(root, "wire", {"/a1/": html}, ["/a1/"])
    write_site(root, "news", {f"/n{i}/": page_path(a).read_text(encoding="utf-8") for i, a in enumerate(others)},
               [f"/n{i}/" for i in range(4)])
    write_site(root, "paper", {"/copy/": wire_copy(html)}, ["/copy/"])
    catalogue = write_catalogue(root, "wire", "news", "paper")
    assert crawl(server, catalogue, db_url, "wire")[0]["stored"] == 1
    assert crawl(server, catalogue, db_url, "news")[0]["stored"] == 4
    assert crawl(server, catalogue, db_url, "paper", "--set", f"MONITOR_STORY_INDEX_SIZE={index_size}")[0]["stored"] == 1
    rows = {url.split("/")[3]: row for url, *row in query(db_url, "select url, id, story_id, duplicate_of from articles")}
    (original, _, _), (copied, story, duplicate_of) = rows["wire"], rows["paper"]
    assert (story, duplicate_of) == ((original, original) if joins else (copied, None))


def test_a_revised_article_keeps_both_versions(sites, db_url: str) -> None:
    root, server, html = sites
    write_site(root, "wire", {"/a1/": html}, ["/a1/"])
    crawl(server, write_catalogue(root, "wire"), db_url)
    [(article_id, old_text)] = query(db_url, "select id, text from articles")
    sentence = next(p for p in extract_article(html).text.split("\n") if len(p) > 80)
    revised = html.replace(sentence, sentence + " (Updated with a correction from the ministry.)", 1)
    assert revised != html
    (root / "wire" / "a1" / "index.html").write_text(revised, encoding="utf-8")

    url = f"{server.base_url}/wire/a1/"
    fetched = run_monitor("fetch", url, "--json", "--db", db_url)
    assert fetched.returncode == 0, fetched.stderr[-2000:]
    assert json.loads(fetched.stdout)["revision_of"] == article_id
    [(text, updated_at)] = query(db_url, "select text, updated_at from articles")
    assert "correction from the ministry" in text and updated_at is not None
    assert query(db_url, "select article_id, version, text from article_versions") == [(article_id, 1, old_text)]

    again = run_monitor("fetch", url, "--json", "--db", db_url)
    assert json.loads(again.stdout)["duplicate_of"] == article_id  # unchanged: nothing written
    assert query(db_url, "select count(*) from article_versions") == [(1,)]
    assert query(db_url, "select count(*) from articles") == [(1,)]


def test_a_revision_refreshes_its_alert_match_evidence(sites, db_url: str) -> None:
    """Evidence offsets point into the text they were found in: after a revision they must point into the
    new text (the dashboard highlighted '<mark>Zebr</mark>afish' for 'iraq' in a revised article)."""
    root, server, html = sites
    assert run_monitor("alerts", "add", "nato-watch", "NATO", "--backtest-days", "0", "--db", db_url).returncode == 0
    write_site(root, "wire", {"/a1/": html}, ["/a1/"])
    crawl(server, write_catalogue(root, "wire"), db_url)
    sentence = next(p for p in extract_article(html).text.split("\n") if len(p) > 80 and "NATO" in p)
    revised = html.replace(sentence, "Correction: an earlier version of this article misnamed the mission. "
                           + sentence, 1)
    (root / "wire" / "a1" / "index.html").write_text(revised, encoding="utf-8")
    assert run_monitor("fetch", f"{server.base_url}/wire/a1/", "--db", db_url).returncode == 0
    [(text, title, evidence)] = query(db_url, "select a.text, a.title, m.evidence from articles a "
                                              "join alert_matches m on m.article_id = a.id")
    evidence = json.loads(evidence) if isinstance(evidence, str) else evidence
    assert "Correction: an earlier version" in text and evidence
    for ev in evidence:
        field = text if ev["field"] == "text" else title
        assert field[ev["start"]:ev["end"]].lower() == "nato", ev


def test_catalogue_selectors_override_extracted_fields(sites, db_url: str) -> None:
    """A source whose byline trafilatura misses names it with a selector; the crawl stores the selected value."""
    root, server, html = sites
    page = html.replace("<h1", '<p class="kicker-byline">Signed: Ada Example</p><h1', 1)
    write_site(root, "wire", {"/a1/": page}, ["/a1/"])
    catalogue = write_catalogue(root, "wire")
    catalogue.write_text(catalogue.read_text() + '[source.selectors]\nauthors = "p.kicker-byline"\n'
                         'title = "h1"\n', encoding="utf-8")
    crawl(server, catalogue, db_url)
    [(authors, title)] = query(db_url, "select authors, title from articles")
    assert "Ada Example" in authors
    assert title


def test_the_first_published_copy_is_the_original_whichever_was_crawled_first(sites, db_url: str) -> None:
    """An outlet crawled before the one it copied from must not be shown as the story's source."""
    root, server, html = sites
    later = '<head><meta property="article:published_time" content="2025-10-03T08:00:00+00:00">'
    write_site(root, "wire", {"/a1/": html}, ["/a1/"])  # published 2025-10-02
    write_site(root, "paper", {"/copy/": wire_copy(html).replace("<head>", later)}, ["/copy/"])
    catalogue = write_catalogue(root, "wire", "paper")
    assert crawl(server, catalogue, db_url, "paper")[0]["stored"] == 1  # the copy is stored first
    assert crawl(server, catalogue, db_url, "wire")[0]["stored"] == 1
    (copied, _), (original, story) = query(db_url, "select id, story_id from articles order by id")
    assert story == copied  # the story is keyed by what was stored first ...
    shown = json.loads(run_monitor("story", str(original), "--json", "--db", db_url).stdout)
    assert shown["story_id"] == copied and shown["original"]["id"] == original  # ... its original is the first published
    table = run_monitor("story", str(copied), "--db", db_url).stdout
    original_line = next(line for line in table.splitlines() if "original" in line.split())
    assert original_line.split()[0] == str(original)


def test_the_story_table_labels_the_first_stored_copy_when_another_was_published_first() -> None:
    story = {"story_id": 4, "original": {"id": 9}}
    assert _copy_label({"id": 9, "similarity": 0.71}, story) == "original · 0.71"
    assert _copy_label({"id": 4, "similarity": None}, {"story_id": 4, "original": {"id": 4}}) == "original"
    assert _copy_label({"id": 4, "similarity": None}, story) == "first stored"
    assert _copy_label({"id": 12, "similarity": 0.8333}, story) == "0.83"
    assert _copy_label({"id": 13, "similarity": None}, story) == ""
