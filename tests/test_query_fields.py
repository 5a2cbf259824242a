"""The ``lang:``, ``topic:`` and ``source:`` terms of a query are normalised and checked.

Why: ``lang:fr-FR``, ``lang:fra``, ``lang:xx``, ``topic:nope`` and ``source:nope`` used to parse and match
nothing, silently; an alert with one never fired. ``lang:`` now reads a code as the ``--lang`` option
does, and a value that can match nothing is a QuerySyntaxError naming the term and the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.search.fulltext import language_code
from monitor.topics import Document, QuerySyntaxError, Taxonomy, TaxonomyError, Topic, compile_query, parse_query
from monitor.topics.query import Field, Term

TOPICS = Taxonomy({t: Topic(t, t) for t in ("nato", "nato-iraq-mission", "sanctions")}, {}, {})


# ------------------------------------------------------------------ lang:


@pytest.mark.parametrize("value", ["fr", "FR", "fr-FR", "fr_FR", "fra", "fre", "French", '"fr FR"', "und", "UND"])
def test_lang_values_are_normalised_like_the_lang_option(value: str) -> None:
    expected = language_code(value.strip('"'))
    assert parse_query(f"lang:{value}") == Field("lang", Term(expected))
    assert parse_query(f"lang:{value}").to_string() == f"lang:{expected}"


def test_a_lang_wildcard_keeps_its_star_after_the_normalised_code() -> None:
    assert parse_query("lang:fra*") == Field("lang", Term("fr*"))


@pytest.mark.parametrize(("source", "column", "reason"), [
    ("lang:xx nato", 6, "lang:xx: 'xx' is not a language code"),
    ("nato lang:klingon", 11, "lang:klingon: 'klingon' is not a language code"),
    ("lang:b2*", 6, "lang:b2*: 'b2' is not a language code"),
    ('NOT lang:"xx yy"', 10, "lang:\"xx yy\": 'xx yy' is not a language code"),
])
def test_a_lang_value_that_is_no_code_is_a_syntax_error(source: str, column: int, reason: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(source)
    assert caught.value.column == column
    assert caught.value.reason.startswith(reason)


def test_lang_values_match_articles_in_that_language() -> None:
    for query in ("@nato lang:fr-FR", "@nato lang:fra", "@nato lang:FR", "@nato lang:fr_FR"):
        compiled = compile_query(query)
        assert compiled.matches(Document(text="OTAN", language="fr")) is not None, query
        assert compiled.matches(Document(text="OTAN", language="fr-FR")) is not None, query
        assert compiled.matches(Document(text="OTAN", language="de")) is None, query
    assert compile_query("lang:und").matches(Document(text="x", language="und")) == []


# ------------------------------------------------------------------ topic:


@pytest.mark.parametrize(("source", "column", "reason"), [
    ("topic:natoo", 1, "topic:natoo: no topic 'natoo' in the taxonomy; did you mean nato"),
    ("x OR NOT topic:qqq", 10, "topic:qqq: no topic 'qqq' in the taxonomy (see `monitor topics list`)"),
    ("topic:zz*", 1, "topic:zz*: no topic starting with 'zz' in the taxonomy"),
])
def test_a_topic_that_is_not_in_the_taxonomy_is_a_syntax_error(source: str, column: int, reason: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        compile_query(source, TOPICS)
    assert caught.value.column == column
    assert caught.value.reason.startswith(reason)


def test_known_topics_and_topic_prefixes_compile() -> None:
    for query in ("topic:nato", "topic:NATO-Iraq-Mission", "topic:nato*", "topic:sanc*", "nato NOT topic:sanctions"):
        compile_query(query, TOPICS)
    compile_query("topic:nato-iraq-mission")  # the bundled taxonomy by default


def test_a_taxonomy_rule_citing_an_unknown_topic_fails_on_load(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('[[topic]]\nid = "a"\nname = "A"\nquery = "nato"\n\n'
                    '[[topic]]\nid = "b"\nname = "B"\nquery = "otan topic:a lang:fr-FR"\n', encoding="utf-8")
    loaded = Taxonomy.load([good])  # a rule may cite another topic (in any file) and a language
    assert compile_query(loaded.topics["b"].query or "", loaded).query.to_string() == "otan AND topic:a AND lang:fr"
    bad = tmp_path / "bad.toml"
    bad.write_text('[[topic]]\nid = "c"\nname = "C"\nquery = "nato"\nexclude = ["topic:aa*"]\n', encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"bad\.toml: topic 'c' exclude: line 1, column 1: topic:aa\*: no topic "
                                            r"starting with 'aa'"):
        Taxonomy.load([good, bad])
    bad.write_text('[[topic]]\nid = "c"\nname = "C"\nquery = "nato lang:xx"\n', encoding="utf-8")
    with pytest.raises(TaxonomyError, match="topic 'c' query: line 1, column 11: lang:xx: 'xx' is not a language"):
        Taxonomy.load([good, bad])


# ------------------------------------------------------------------ source:


SOURCES = ["b2-bruxelles", "nato", "Le Monde"]


def test_a_source_that_is_neither_stored_nor_catalogued_is_a_syntax_error() -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        compile_query("nato source:b2-bruxeles", sources=SOURCES)
    assert caught.value.column == 6
    assert caught.value.reason == ("source:b2-bruxeles: unknown source 'b2-bruxeles': nothing has been crawled from "
                                   "it and it is not in the catalogue; did you mean b2-bruxelles?")
    with pytest.raises(QuerySyntaxError, match="unknown source starting with 'zz'.*`monitor sources list`"):
        compile_query("source:zz*", sources=SOURCES)


def test_known_sources_compare_as_the_matcher_does() -> None:
    for query in ("source:b2-bruxelles", "source:b2*", "source:NATO", 'source:"le monde"', "nato NOT source:nato"):
        compile_query(query, sources=SOURCES)
    compile_query("source:nope")  # without the known sources (no database at hand) there is nothing to check
