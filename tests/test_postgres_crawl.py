"""The crawl path on PostgreSQL: the same code and migrations as SQLite, a smaller test_crawl."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.db import connect
from monitor.db.migrate import current_revision, head_revision
from monitor.db.models import Article, Source
from monitor.replica import CATALOGUE, ReplicaServer
from monitor.urls import canonicalize_url
from tests.conftest import run_monitor
from tests.replica_truth import TRUTH_ARTICLES, norm, truth_url

SITES = ("eeas", "b2")  # b2 carries a wire copy of an eeas statement: stories work across outlets too


def crawl(replica: ReplicaServer, db_url: str) -> list[dict]:
    result = run_monitor("crawl", *SITES, "--catalogue", str(CATALOGUE), "--base-url", replica.base_url,
                         "--db", db_url, "--set", "AUTOTHROTTLE_ENABLED=False")
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_the_replica_crawls_into_postgresql_once_with_the_right_fields(replica: ReplicaServer,
                                                                      postgres_url: str) -> None:
    first = crawl(replica, postgres_url)
    second = crawl(replica, postgres_url)
    engine = connect(postgres_url)
    assert engine.dialect.name == "postgresql" and current_revision(engine) == head_revision(engine)
    with Session(engine, expire_on_commit=False) as session:
        rows = session.execute(select(Article, Source.name).join(Source)).all()
    articles = {row.Article.canonical_url: row.Article for row in rows}
    expected = [t for t in TRUTH_ARTICLES if t["site"] in SITES]
    assert len(rows) == len(articles) == len(expected) == sum(r["stored"] for r in first)
    assert sum(r["stored"] + r["article_requests"] for r in second) == 0
    for truth in expected:
        article = articles[canonicalize_url(truth_url(replica.base_url, truth))]
        assert norm(article.title) == norm(truth["title"])
        assert article.published == datetime.fromisoformat(truth["published"])
        assert article.language == truth["language"]
    copies = [t for t in expected if t["duplicate_of"] and t["duplicate_of"]["site"] in SITES]
    assert copies
    for truth in copies:
        original = next(t for t in expected if (t["site"], t["path"]) ==
                        (truth["duplicate_of"]["site"], truth["duplicate_of"]["path"]))
        story = {articles[canonicalize_url(truth_url(replica.base_url, t))].story_id for t in (truth, original)}
        assert len(story) == 1
