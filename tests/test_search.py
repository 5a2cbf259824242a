"""Search: ranked, filtered, paged full-text search that returns exactly what the ingest matcher accepts,
on SQLite FTS5 and PostgreSQL full text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from monitor.db import connect
from monitor.db.models import Article, ArticleTopic
from monitor.search import Filters, iter_search, search
from monitor.search.documents import load_articles
from monitor.topics import QuerySyntaxError, compile_query, parse_query
from tests.test_query import QUERIES
from tests.test_search_fixtures import add_article, any_db_url  # noqa: F401 - fixture

NOW = datetime.now(timezone.utc)


def test_search_finds_accent_and_case_variants_ranked_and_filtered(any_db_url: str) -> None:
    engine = connect(any_db_url)
    in_title = add_article(engine, "b2", "La mission de l'OTAN en Irak", "Texte.", language="fr")
    in_text = add_article(engine, "b2", "Autre", "Les forces de l'OTAN restent en IRAK cette année.", language="fr")
    add_article(engine, "nato", "NATO Mission Iraq", "Old news.", language="en", published=NOW - timedelta(days=40))
    add_article(engine, "b2", "Rien", "Aucun rapport.", language="fr")
    polish = add_article(engine, "pl", "Sojuszu Północnoatlantyckiego", "misja", language="pl")
    hits = search(engine, "otan irak")
    assert [h.article.id for h in hits] == [in_title, in_text]  # title weighs more
    assert hits[0].evidence and hits[0].snippets()[0].startswith("La mission de l'[OTAN]")
    assert [h.article.id for h in search(engine, '"sojusz* polnocnoatlantyck*"')] == [polish]
    assert search(engine, "nato OR otan", Filters(since=NOW - timedelta(days=7), languages=("en",))) == []
    assert len(search(engine, "nato OR otan")) == 3
    page2 = search(engine, "nato OR otan", limit=2, offset=2)
    assert len(page2) == 1 and page2[0].article.id not in {h.article.id for h in search(engine, "nato OR otan", limit=2)}


def test_lang_terms_mean_what_the_lang_option_means(any_db_url: str) -> None:
    """``lang:fr-FR``/``lang:fra``/``lang:FR`` used to find nothing while ``--lang fr-FR`` found the French
    articles; a value that can match nothing (``lang:xx``, ``topic:nope``) is now an error, not 0 results."""
    engine = connect(any_db_url)
    french = {add_article(engine, "b2", "OTAN", "La mission de l'OTAN.", language="fr"),
              add_article(engine, "b2", "Irak", "Les forces de l'OTAN.", language="fr-FR")}
    add_article(engine, "nato", "OTAN", "NATO-Mission der OTAN.", language="de")
    by_option = {h.article.id for h in search(engine, "otan", Filters(languages=("fr-FR",)))}
    assert by_option == french
    # with a full-text pre-filter (FTS5 / tsquery) and without one (the lang: condition pushed into SQL)
    for query in ("otan lang:fr-FR", "otan lang:fra", "otan lang:FR", "lang:fr_FR", "lang:fra OR lang:fr"):
        assert {h.article.id for h in search(engine, query)} == french, query
    for query, reason in [("lang:xx otan", "lang:xx: 'xx' is not a language code"),
                          ("otan topic:nope", "topic:nope: no topic 'nope' in the taxonomy")]:
        with pytest.raises(QuerySyntaxError, match=reason):
            search(engine, query)


def test_updates_and_deletes_keep_the_index_in_sync(any_db_url: str) -> None:
    engine = connect(any_db_url)
    article = add_article(engine, "b2", "Straße", "alpha")
    assert [h.article.id for h in search(engine, "strasse")] == [article]
    with engine.begin() as connection:
        connection.execute(Article.__table__.update().where(Article.id == article).values(title="beta"))
    assert search(engine, "strasse") == [] and len(search(engine, "beta")) == 1
    with engine.begin() as connection:
        connection.execute(delete(Article).where(Article.id == article))
    assert search(engine, "beta") == []


WORDS = ["NATO", "OTAN", "l'OTAN", "Irak", "IRAK", "irakien", "Iraq", "mission", "Mission", "de", "misja",
         "Północnoatlantyckiego", "Sojuszu", "Straße", "strasse", "Œuvre", "oeuvre", "NATO-Mission", "2003",
         "x1", "x_1", "ﬁnance", "Ёлка", "ёлка", "ελλάδα", "Ελλάδα", "Ἑλλάς", "Fußball", "naïve", "Łódź"]
SEPARATORS = [" ", " ", ", ", ". ", "-", "'", "\n", " (", ") "]
TEXTS = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=12).map(
    lambda parts: "".join(w + s for w, s in parts))
DOCS = st.lists(st.tuples(TEXTS, TEXTS, st.sampled_from(["fr", "en", "pl"]), st.sampled_from(["b2", "nato"]),
                          st.sampled_from([(), ("nato",)])), min_size=1, max_size=6)
EXTRA_QUERIES = st.sampled_from(WORDS[:-3] + ["irak*", "str*", "\"mission de l'OTAN\"", "Fußball", "lodz",
                                              "elka", "ελλαδα", "title:oeuvre", "x_1 OR naive",
                                              "title:(irak mission) OR otan", "title:irak* NATO",
                                              "title:\"mission de l'OTAN\" OR text:irak"])
ANY_QUERY = st.one_of(QUERIES.filter(lambda q: len(q) < 300), EXTRA_QUERIES, st.tuples(EXTRA_QUERIES, EXTRA_QUERIES).map(" NEAR/2 ".join))


def _check_same_as_matcher(url: str, docs, query: str) -> None:
    engine = connect(url)
    try:
        with engine.begin() as connection:
            connection.execute(delete(ArticleTopic))
            connection.execute(delete(Article))
        for title, body, language, source, topics in docs:
            add_article(engine, source, title, body, language=language, topics=topics)
        compiled = compile_query(query)
        with engine.connect() as connection:
            ids = [a.id for a in load_articles(connection, [i for (i,) in connection.execute(Article.__table__.select()
                                                                                          .with_only_columns(Article.id))])]
            stored = load_articles(connection, ids)
        expected = {a.id for a in stored if compiled.matches(a.document) is not None}
        assert {h.article.id for h in iter_search(engine, compiled)} == expected
    finally:
        engine.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=DOCS, query=ANY_QUERY)
def test_search_equals_ingest_matcher_on_random_documents(any_db_url: str, docs, query: str) -> None:
    try:
        parse_query(query)
    except QuerySyntaxError:
        assume(False)
    _check_same_as_matcher(any_db_url, docs, query)


def test_sqlite_index_folds_every_script_like_the_matcher(db_url: str) -> None:
    """Regressions hypothesis found: polytonic Greek, fullwidth and ligature letters on SQLite."""
    docs = [("", "", "el", "b2", ()), ("", "Ἑλλάς ", "el", "b2", ()), ("Ｎａｔｏ summit", "ﬁnal Ελλάς", "en", "b2", ())]
    for query in ("Ἑλλάς", "Ελλας", "nato", "final", "ελλα*"):
        _check_same_as_matcher(db_url, docs, query)
