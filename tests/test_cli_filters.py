"""Filter values on the command line: one spelling of a language everywhere, and the same errors in
every command (an unknown language or source is named, never an empty result)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.db import connect
from monitor.search import Filters, search
from tests.test_search_fixtures import add_article


@pytest.fixture()
def stored(db_url: str) -> str:
    engine = connect(db_url)
    add_article(engine, "b2", "L'OTAN en Irak", "La mission de l'OTAN en Irak est prolongée.", language="fr")
    add_article(engine, "nato", "NATO in Iraq", "NATO Mission Iraq (OTAN) is extended.", language="en")
    return db_url


def run(db_url: str, *args: str):
    return CliRunner().invoke(cli, list(args), env={"MONITOR_DB_URL": db_url})


@pytest.mark.parametrize("lang", ["fr", "FR", "fr-FR", "fr_FR", "fra"])
def test_every_spelling_of_a_language_filters_the_same(stored: str, lang: str) -> None:
    for args in (["search", "otan", "--json", "--lang", lang], ["articles", "--json", "--lang", lang],
                 ["export", "--lang", lang]):
        result = run(stored, *args)
        assert result.exit_code == 0, (args, result.output)
        rows = [json.loads(line) for line in result.output.splitlines()]
        assert [r["source"] for r in rows] == ["b2"], args


def test_filters_normalize_languages_given_in_python(stored: str) -> None:
    assert [h.article.source for h in search(connect(stored), "otan", Filters(languages=("FR",)))] == ["b2"]
    assert Filters.from_dict({"languages": ["fr-FR", "FR"]}).languages == ("fr",)


@pytest.mark.parametrize("command", [["search", "otan"], ["articles"], ["export"], ["alerts", "backtest", "otan"]])
def test_a_value_that_is_no_language_is_an_error(stored: str, command: list[str]) -> None:
    result = run(stored, *command, "--lang", "xx-yy")
    assert result.exit_code == 2, result.output
    assert "'xx-yy' is not a language code" in result.output


def test_articles_takes_several_languages_and_shows_ids(stored: str) -> None:
    both = run(stored, "articles", "--json", "--lang", "fr", "--lang", "EN")
    assert both.exit_code == 0, both.output
    assert sorted(json.loads(line)["source"] for line in both.output.splitlines()) == ["b2", "nato"]
    one = run(stored, "articles", "--json", "--lang", "fr", "--lang", "de")
    assert [json.loads(line)["source"] for line in one.output.splitlines()] == ["b2"]
    table = run(stored, "articles", "--lang", "fr").output.splitlines()
    stored_id = json.loads(run(stored, "articles", "--json", "--lang", "fr").output)["id"]
    assert table[0].split()[0] == "id" and table[-1].split()[0] == str(stored_id)  # what `monitor story ID` takes
    found = run(stored, "search", "irak", "--lang", "fr").output.splitlines()
    assert found[0].split()[0] == "id" and found[-1].split()[0] == str(stored_id)
