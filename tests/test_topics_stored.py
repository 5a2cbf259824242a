"""Topics over stored articles: backtest, resumable retag, and the topics commands."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner
from sqlalchemy import select

from monitor.cli import cli
from monitor.db import connect
from monitor.db.models import Article, ArticleTopic
from monitor.db.store import ArticleStore, SourceInfo
from monitor.enrich import default_tagger
from monitor.topics import compile_query
from monitor.topics.stored import backtest, retag
from tests.db_fixtures import db_url  # noqa: F401 - every test here runs on SQLite and PostgreSQL

NOW = datetime.now(timezone.utc)
TEXTS = [
    ("La mission de l'OTAN en Irak prolongée", "La mission de l'OTAN en Irak conseille le ministère irakien de la Défense à Bagdad.", "fr"),
    ("NATO Mission Iraq grows", "NATO defence ministers agreed to expand NATO Mission Iraq, which advises Iraqi institutions in Baghdad.", "en"),
    ("Sahel: EU training mission ends", "The EU training mission in Mali ended after the junta's decisions; CSDP missions in the Sahel are reviewed.", "en"),
    ("Wetter in Berlin", "Am Wochenende wird es in Berlin sonnig und warm, sagt der Deutsche Wetterdienst.", "de"),
]


def populate(db_url: str) -> None:
    store = ArticleStore(connect(db_url))
    source_id = store.source_id(SourceInfo("wire", "Wire", "feed"))
    for n, (title, text, language) in enumerate(TEXTS):
        store.add({"id": store.new_id(), "source_id": source_id, "url": f"https://wire.eu/{n}", "canonical_url": f"https://wire.eu/{n}",
                   "content_hash": f"h{n}", "title": title, "authors": [], "published": NOW - timedelta(days=n * 20),
                   "fetched": NOW, "language": language, "text": text, "topics": []})
    store.flush()


def test_backtest_finds_what_a_query_would_have_matched(db_url: str) -> None:
    populate(db_url)
    engine = connect(db_url)
    hits = list(backtest(engine, compile_query("@nato NEAR/4 @iraq")))
    assert sorted(h["title"] for h in hits) == sorted(t for t, _, _ in TEXTS[:2])
    assert all(h["evidence"] for h in hits)
    recent = list(backtest(engine, compile_query("@nato NEAR/4 @iraq"), since=NOW - timedelta(days=10)))
    assert [h["title"] for h in recent] == [TEXTS[0][0]]


def test_retag_is_batched_and_resumable(db_url: str) -> None:
    populate(db_url)
    engine = connect(db_url)
    tagger = default_tagger()
    first = retag(engine, tagger, batch_size=1, limit=1)
    assert (first.retagged, first.remaining) == (1, 3)
    rest = retag(engine, tagger, batch_size=2)
    assert (rest.retagged, rest.remaining) == (3, 0)
    assert retag(engine, tagger).retagged == 0
    with engine.connect() as connection:
        versions = set(connection.execute(select(Article.taxonomy_version)).scalars())
        tags = {(a, t) for a, t in connection.execute(select(ArticleTopic.article_id, ArticleTopic.topic_id))}
    assert versions == {tagger.taxonomy.version}
    assert (1, "nato-iraq-mission") in tags and (2, "nato-iraq-mission") in tags
    assert not any(article == 4 for article, _ in tags)


def test_topics_commands(db_url: str, tmp_path) -> None:
    runner = CliRunner()
    listed = [json.loads(line) for line in runner.invoke(cli, ["topics", "list", "--json"]).output.splitlines()]
    ids = {t["id"] for t in listed}
    assert len(ids) >= 40 and {"nato", "nato-iraq-mission", "csdp", "eu-sanctions"} <= ids
    assert all({"en", "fr", "de", "es", "it", "nl", "pl"} <= set(t["languages"]) for t in listed)
    shown = json.loads(runner.invoke(cli, ["topics", "show", "nato-iraq-mission"]).output)
    assert shown["parent"] == "nato" and shown["query"]
    assert runner.invoke(cli, ["topics", "show", "no-such-topic"]).exit_code != 0

    labels = tmp_path / "labels.jsonl"
    labels.write_text("\n".join(json.dumps({"id": n, "title": t, "text": x, "topics": ["nato-iraq-mission"] if n < 2 else []})
                                for n, (t, x, _) in enumerate(TEXTS)))
    scored = json.loads(runner.invoke(cli, ["topics", "test", "nato-iraq-mission", "--labels", str(labels)]).output)
    assert (scored["precision"], scored["recall"]) == (1.0, 1.0)

    populate(db_url)
    result = runner.invoke(cli, ["topics", "backtest", "title:(@nato AND @iraq)", "--since", "365d", "--json", "--db", db_url])
    assert len(result.output.splitlines()) == 2
    bad = runner.invoke(cli, ["topics", "backtest", "nato AND (", "--db", db_url])
    assert bad.exit_code != 0 and "line 1, column" in bad.output
    retagged = json.loads(runner.invoke(cli, ["topics", "retag", "--db", db_url]).output)
    assert retagged["retagged"] == 4 and retagged["remaining"] == 0


def test_backtest_lists_ids_newest_published_first_and_undated_last(db_url: str) -> None:
    """Stored out of publication order (a backfill, a late feed): the listing still reads newest first."""
    store = ArticleStore(connect(db_url))
    source_id = store.source_id(SourceInfo("wire", "Wire", "feed"))
    ages = [40, None, 5, 20]  # days old, in storage (id) order; None: a page without a date
    for n, age in enumerate(ages):
        store.add({"id": store.new_id(), "source_id": source_id, "url": f"https://wire.eu/{n}",
                   "canonical_url": f"https://wire.eu/{n}", "content_hash": f"h{n}", "title": f"NATO story {n}",
                   "authors": [], "published": None if age is None else NOW - timedelta(days=age), "fetched": NOW,
                   "language": "en", "text": "NATO allies met in Brussels.", "topics": []})
    store.flush()
    runner = CliRunner()
    lines = runner.invoke(cli, ["topics", "backtest", "nato", "--since", "365d", "--json", "--db", db_url]).output
    records = [json.loads(line) for line in lines.splitlines()]
    assert [r["title"] for r in records] == ["NATO story 2", "NATO story 3", "NATO story 0", "NATO story 1"]
    assert {"id", "title", "url", "published", "source", "language", "evidence"} <= set(records[0])
    table = runner.invoke(cli, ["topics", "backtest", "nato", "--since", "365d", "--db", db_url])
    assert table.exit_code == 0, table.output
    header, _rule, *rows = table.output.splitlines()[:6]
    assert header.split()[:2] == ["id", "published"]
    assert [int(row.split()[0]) for row in rows] == [r["id"] for r in records]
    assert rows[-1].split()[1] == "wire"  # the undated one: an empty published cell
