"""What makes search and trends fast on large databases keeps results exact: broad full-text queries listed
newest first in tiers, lang:/source:/topic: pushed into SQL, and the trigger-kept ``article_topics.published``."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from monitor.db import connect
from monitor.db.models import Article, ArticleTopic
from monitor.search import Filters, fulltext, iter_search, search
from monitor.search.documents import load_articles
from monitor.search.meta import distinct_values, meta_clauses
from monitor.search.pg_filter import pg_condition
from monitor.search.translate import to_filter
from monitor.topics import compile_query, parse_query
from monitor.web.data import topic_daily_counts
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture

NOW = datetime.now(timezone.utc)


def _matcher_ids(engine, query: str, filters: Filters = Filters()) -> set[int]:
    compiled = compile_query(query)
    with engine.connect() as connection:
        ids = list(connection.execute(select(Article.id)).scalars())
        return {a.id for a in load_articles(connection, ids)
                if filters.accepts(a) and compiled.matches(a.document) is not None}


def _corpus(engine) -> list[int]:
    rows = [("b2", "OTAN en Irak", "La mission de l'OTAN.", "fr-FR", ("nato-iraq-mission",)),
            ("nato", "NATO mission", "NATO in Iraq, NATO mission.", "en", ("nato",)),
            ("nato", "Nothing", "otan otan otan", "fr", ()),
            ("b2", "Otan", "Irak", "de", ("nato", "csdp")),
            ("pl", "NATO", "misja NATO", "pl", ("nato",)),
            ("b2", "Sanctions", "no alliance here", "fr", ("sanctions",)),
            ("nato", "OTAN OTAN", "OTAN otan mission", "", ())]
    return [add_article(engine, s, t, b, language=lang, topics=topics, published=NOW - timedelta(hours=i))
            for i, (s, t, b, lang, topics) in enumerate(rows)]


QUERIES = ["nato OR otan", "otan lang:fr", "otan AND lang:fr*", "(nato OR otan) source:b2", "nato topic:nato*",
           "otan topic:nato-iraq-mission", "lang:und", "otan lang:fra", "NOT sanctions lang:fr", "mission OR otan",
           "otan OR lang:de", "otan NOT lang:fr"]


@pytest.mark.parametrize("tier", [1, 2, 3, 2000])
def test_tiered_ranking_returns_exactly_the_matches_in_a_stable_order(any_db_url: str, tier: int,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    engine = connect(any_db_url)
    _corpus(engine)
    monkeypatch.setattr(fulltext, "TIER", tier)
    monkeypatch.setattr(fulltext, "FIRST_BATCH", 2)
    for query in QUERIES:
        everything = [h.article.id for h in iter_search(engine, query)]
        assert len(everything) == len(set(everything))
        assert set(everything) == _matcher_ids(engine, query), query
        pages = [h.article.id for offset in range(0, len(everything) + 2, 2)
                 for h in search(engine, query, limit=2, offset=offset)]
        assert pages == everything, query  # pages follow one another without gaps or repeats
    since = Filters(since=NOW - timedelta(hours=3, minutes=30), languages=("fr", "fr-FR", "de"))
    assert {h.article.id for h in iter_search(engine, "otan", since)} == _matcher_ids(engine, "otan", since)


def test_postgresql_id_windows_find_every_match_in_order(any_db_url: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """One-id windows growing 2x: every step of the windowed walk, including empty windows, at every tier."""
    engine = connect(any_db_url)
    ids = _corpus(engine)
    for _ in range(5):  # non-matching rows between the matches: some windows come back empty
        add_article(engine, "b2", "filler", "nothing to see")
    ids.append(add_article(engine, "nato", "OTAN", "otan last"))
    monkeypatch.setattr(fulltext, "PG_FIRST_WINDOW", 1)
    monkeypatch.setattr(fulltext, "PG_WINDOW_GROWTH", 2)
    monkeypatch.setattr(fulltext, "FIRST_BATCH", 2)
    for tier in (1, 2, 3):
        monkeypatch.setattr(fulltext, "TIER", tier)
        for query in ("nato OR otan", "otan", "mission OR otan", "otan lang:fr"):
            found = [h.article.id for h in iter_search(engine, query)]
            assert set(found) == _matcher_ids(engine, query), (tier, query)
            if len(found) >= tier:  # a broad query: newest stored first
                assert found == sorted(found, reverse=True), (tier, query)


def test_few_candidates_are_ranked_and_many_come_newest_first(any_db_url: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    engine = connect(any_db_url)
    weak_old = add_article(engine, "b2", "x", "otan and many other words here")
    strong_old = add_article(engine, "b2", "otan", "otan otan")
    weak_new = add_article(engine, "b2", "y", "otan and many other words here")
    strong_new = add_article(engine, "b2", "otan", "otan otan")
    monkeypatch.setattr(fulltext, "TIER", 5)
    ranked = [h.article.id for h in iter_search(engine, "otan")]
    assert set(ranked[:2]) == {strong_new, strong_old} and set(ranked[2:]) == {weak_new, weak_old}
    monkeypatch.setattr(fulltext, "TIER", 4)  # as many candidates as TIER: a broad query
    assert [h.article.id for h in iter_search(engine, "otan")] == [strong_new, weak_new, strong_old, weak_old]


def test_metadata_conditions_become_exact_sql_filters(any_db_url: str) -> None:
    engine = connect(any_db_url)
    ids = _corpus(engine)
    with engine.connect() as connection:
        assert distinct_values(connection, "articles", "language") == ["", "de", "en", "fr", "fr-FR", "pl"]
        for query, expected in [("otan lang:fr", {ids[0], ids[2], ids[5]}), ("x source:nato", {ids[1], ids[2], ids[6]}),
                                ("x topic:nato*", {ids[0], ids[1], ids[3], ids[4]}), ("x lang:und", {ids[6]}),
                                ("x lang:fr-FR", {ids[0], ids[2], ids[5]}), ("x OR lang:fr", set(ids))]:
            clauses = meta_clauses(connection, parse_query(query))
            found = set(connection.execute(select(Article.id).where(*clauses)).scalars())
            assert found == expected, query


def test_topic_published_copy_follows_the_article(any_db_url: str) -> None:
    engine = connect(any_db_url)
    day = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    article = add_article(engine, "b2", "t", "x", topics=("nato", "csdp"), published=day)
    with engine.begin() as connection:
        published = lambda: set(connection.execute(  # noqa: E731
            select(ArticleTopic.published).where(ArticleTopic.article_id == article)).scalars())
        assert published() == {day}
        connection.execute(update(Article).where(Article.id == article).values(published=day + timedelta(days=2)))
        assert published() == {day + timedelta(days=2)}
        connection.execute(update(ArticleTopic).where(ArticleTopic.article_id == article).values(published=day))
        assert published() == {day + timedelta(days=2)}  # a stray write cannot make the copy disagree
        connection.execute(update(Article).where(Article.id == article).values(published=None))
        assert published() == {None}
    add_article(engine, "b2", "t", "x", topics=("nato",), published=day)
    add_article(engine, "b2", "t", "x", topics=("nato",), published=day + timedelta(days=1, hours=11))
    add_article(engine, "b2", "t", "x", topics=("csdp",), published=day)
    assert topic_daily_counts(engine, "nato", date(2026, 2, 28), date(2026, 3, 5)) == {
        date(2026, 3, 1): 1, date(2026, 3, 2): 1}


TITLE_QUERIES = ["title:(sanctions russia)", "title:nato OR iraq", "title:(nato mission) iraq",
                 'title:"nato mission" OR title:otan*', "title:nato NOT russia", "title:(nato OR sanctions) energy"]


def test_title_parts_are_narrowed_by_the_title_alone_and_stay_exact(any_db_url: str) -> None:
    engine = connect(any_db_url)
    ids = [add_article(engine, "b2", "Sanctions on Russia", "energy"),
           add_article(engine, "b2", "Energy", "sanctions against russia"),
           add_article(engine, "nato", "NATO mission", "Iraq"),
           add_article(engine, "nato", "Iraq", "NATO mission"),
           add_article(engine, "nato", "Otanów", "x")]
    for query in TITLE_QUERIES:
        assert {h.article.id for h in iter_search(engine, query)} == _matcher_ids(engine, query), query
    pre = to_filter(compile_query("title:(sanctions russia)").query, {})
    with engine.connect() as connection:
        # the candidates themselves: an article with the words in its text only is not one (PostgreSQL: it was)
        assert [i for i, _ in fulltext._tier(connection, pre, None, None, scored=False)] == [ids[0]]
        if engine.dialect.name != "postgresql":
            return
        condition, params, score = pg_condition(connection, pre)
        assert condition.startswith("monitor_title_tsv(articles.title) @@") and "monitor_title_tsv" in score
        # a title-only query is scored on the title alone, at the title's weight (A, 1.0): for an article without
        # the words in its text, the value of the weighted full tsvector; words in the text add nothing
        scores = {}
        for article in ids[:2]:
            scores[article] = connection.exec_driver_sql(
                f"SELECT {score}, ts_rank(monitor_tsv(title, text), to_tsquery('monitor_simple', "
                "'sanctions:A & russia:A')) FROM articles WHERE id = %(id)s", {**params, "id": article}).one()
        assert scores[ids[0]][0] == pytest.approx(scores[ids[0]][1]) and scores[ids[0]][0] > 0.1
        assert scores[ids[1]][0] < 1e-6 < scores[ids[1]][1]
        mixed, _, _ = pg_condition(connection, to_filter(compile_query("title:(nato mission) iraq").query, {}))
        assert "monitor_title_tsv(" in mixed and " AND monitor_tsv(" in mixed
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(r[0] for r in connection.exec_driver_sql(
            f"EXPLAIN SELECT id FROM articles WHERE {condition}", params))
        assert "ix_articles_title_fts" in plan, plan
