"""The ingest path end to end: the feed spider crawls the replica over loopback HTTP into SQLite."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db import connect
from monitor.db.models import Article, ArticleTopic, CrawlRun, Source
from monitor.replica import CATALOGUE, ReplicaServer
from monitor.urls import canonicalize_url
from tests.conftest import run_monitor
from tests.replica_truth import TRUTH_ARTICLES, norm, truth_url


def crawl(replica: ReplicaServer, db_url: str, *sources: str) -> list[dict[str, Any]]:
    result = run_monitor("crawl", *sources, "--catalogue", str(CATALOGUE), "--base-url", replica.base_url,
                         "--db", db_url, "--set", "AUTOTHROTTLE_ENABLED=False")
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def crawled(replica: ReplicaServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('crawl') / 'monitor.sqlite'}"
    first = crawl(replica, db_url)
    second = crawl(replica, db_url)
    with Session(connect(db_url), expire_on_commit=False) as session:
        rows = session.execute(select(Article, Source.name).join(Source)).all()
        topics = session.execute(select(ArticleTopic)).scalars().all()
        runs = session.execute(select(CrawlRun)).scalars().all()
    articles = {row.Article.canonical_url: (row.Article, row.name) for row in rows}
    tags: dict[int, dict[str, ArticleTopic]] = {}
    for tag in topics:
        tags.setdefault(tag.article_id, {})[tag.topic_id] = tag
    return {"first": first, "second": second, "articles": articles, "tags": tags, "runs": runs,
            "base": replica.base_url}


def stored(crawled: dict[str, Any], truth: dict[str, Any]) -> Article:
    key = canonicalize_url(truth_url(crawled["base"], truth))
    assert key in crawled["articles"], f"not stored: {key}"
    return crawled["articles"][key][0]


def test_every_replica_article_is_stored_once(crawled: dict[str, Any]) -> None:
    assert len(TRUTH_ARTICLES) >= 40
    assert len(crawled["articles"]) == len(TRUTH_ARTICLES)
    assert sum(run["stored"] for run in crawled["first"]) == len(TRUTH_ARTICLES)
    assert {run["source"] for run in crawled["first"]} == {"b2", "nato", "eeas", "defnews"}


@pytest.mark.parametrize("truth", TRUTH_ARTICLES, ids=lambda t: f"{t['site']}{t['path']}")
def test_fields_match_the_truth(crawled: dict[str, Any], truth: dict[str, Any]) -> None:
    article = stored(crawled, truth)
    assert norm(article.title) == norm(truth["title"])
    assert article.published == datetime.fromisoformat(truth["published"])
    assert article.language == truth["language"]
    assert {norm(a) for a in article.authors} == {norm(a) for a in truth["authors"]}
    assert len(article.text) > 500 and article.content_hash


def test_topics_tag_the_nato_iraq_mission_and_spare_the_hard_negatives(crawled: dict[str, Any]) -> None:
    wrong: list[str] = []
    for truth in TRUTH_ARTICLES:
        article = stored(crawled, truth)
        tagged = "nato-iraq-mission" in crawled["tags"].get(article.id, {})
        if tagged != ("nato-iraq-mission" in truth["topics"]):
            wrong.append(f"{truth['site']}{truth['path']}: tagged={tagged}")
    assert not wrong
    tagged = [t for tags in crawled["tags"].values() for t in tags.values() if t.topic_id == "nato-iraq-mission"]
    assert tagged and all(t.score > 0 and t.evidence for t in tagged)


def test_a_second_crawl_downloads_and_stores_nothing_new(crawled: dict[str, Any]) -> None:
    second = crawled["second"]
    assert sum(run["stored"] for run in second) == 0
    assert sum(run["article_requests"] for run in second) == 0
    # unchanged feeds answer 304 to the conditional GET, so no entry is even looked up
    # (the seen-URL check itself is covered by tests/test_spiders_incremental.py)
    assert sum(run["seen_skipped"] for run in second) == 0
    assert all(run["requests"] <= 2 for run in second)  # robots.txt and the feed's 304


def test_each_run_is_recorded_with_its_stats(crawled: dict[str, Any]) -> None:
    runs = crawled["runs"]
    assert len(runs) == 8 and all(run.status == "finished" and run.finished for run in runs)
    first_b2 = min((r for r in runs if r.source == "b2"), key=lambda r: r.started)
    assert first_b2.items_stored == first_b2.stats["monitor/stored"] > 0
    assert first_b2.stats["downloader/response_status_count/200"] >= first_b2.items_stored


def test_syndicated_copies_share_a_story(crawled: dict[str, Any]) -> None:
    copies = [t for t in TRUTH_ARTICLES if t["duplicate_of"]]
    assert copies
    by_path = {(t["site"], t["path"]): t for t in TRUTH_ARTICLES}
    for truth in copies:
        copy = stored(crawled, truth)
        original = stored(crawled, by_path[(truth["duplicate_of"]["site"], truth["duplicate_of"]["path"])])
        assert copy.story_id == original.story_id
        later = max(copy, original, key=lambda a: a.id)
        assert later.duplicate_of == min(copy.id, original.id) and later.similarity >= 0.6
    singles = [stored(crawled, t) for t in TRUTH_ARTICLES if not t["duplicate_of"]
               and not any(c["duplicate_of"] == {"site": t["site"], "path": t["path"]} for c in copies)]
    assert all(a.story_id == a.id and a.duplicate_of is None for a in singles)


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_database_or_redis_is_one_line_before_anything_is_crawled(tmp_path) -> None:
    """Was: hundreds of traceback lines and exit 3 (a plain crawl with a dead Redis even downloaded every page
    and blamed the outlet). Now: one line naming the service, the URL without password, where it came from
    and why, exit 1; a Redis URL without a scheme is a usage error (exit 2)."""
    db_port, redis_port = _closed_port(), _closed_port()
    sqlite = f"sqlite:///{tmp_path / 'm.sqlite'}"
    dead_redis = f"redis://127.0.0.1:{redis_port}/7"
    cases = [
        (("crawl", "b2-bruxelles2", "--db", f"postgresql+psycopg://postgres:s3cret@127.0.0.1:{db_port}/x"), {},
         1, [f"database postgresql+psycopg://postgres:***@127.0.0.1:{db_port}/x (from --db) is unreachable",
             "refused"]),
        (("crawl", "b2-bruxelles2"), {"MONITOR_DB_URL": f"postgresql+psycopg://postgres@127.0.0.1:{db_port}/x"},
         1, ["(from MONITOR_DB_URL) is unreachable"]),
        (("worker", "--db", sqlite, "--redis", dead_redis), {}, 1,
         [f"Redis {dead_redis} (from --redis) is unreachable", "refused"]),
        (("worker", "--db", sqlite), {"MONITOR_REDIS_URL": dead_redis}, 1, ["(from MONITOR_REDIS_URL) is unreachable"]),
        (("crawl", "--distributed", "b2-bruxelles2", "--db", sqlite), {"MONITOR_REDIS_URL": dead_redis}, 1,
         [f"Redis {dead_redis} (from MONITOR_REDIS_URL) is unreachable"]),
        (("crawl", "b2-bruxelles2", "--db", sqlite), {"MONITOR_REDIS_URL": dead_redis}, 1,
         [f"Redis {dead_redis} (from MONITOR_REDIS_URL) is unreachable"]),
        (("worker", "--db", sqlite, "--redis", "127.0.0.1:6379"), {}, 2,
         ["--redis '127.0.0.1:6379': expected redis://HOST:PORT/DB"]),
    ]
    for args, env, code, wanted in cases:
        result = run_monitor(*args, env=env)
        assert result.returncode == code, (args, result.stderr[-3000:])
        assert "Traceback" not in result.stderr and result.stdout == "", (args, result.stderr[-3000:])
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and all(w in errors[0] for w in wanted), (args, result.stderr[-3000:])
        assert "s3cret" not in result.stderr
