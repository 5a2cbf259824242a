"""``monitor alerts`` from the command line: edits change one filter kind at a time, names are unique
ignoring case and spaces, backtest takes an alert's name, delivery URLs need a host."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result

from monitor.alerts import match_new_articles, show_alert
from monitor.cli import cli
from monitor.db import connect
from tests.test_search_fixtures import add_article


def run(db_url: str, *args: str) -> Result:
    """``monitor ARGS`` on the database ``db_url``, in process."""
    return CliRunner().invoke(cli, list(args), env={"MONITOR_DB_URL": db_url})


def filters_of(db_url: str, name: str) -> dict:
    return show_alert(connect(db_url), name)["filters"]


def test_edit_changes_one_filter_kind_and_clear_removes_one(db_url: str) -> None:
    engine = connect(db_url)
    add_article(engine, "b2", "OTAN", "La mission de l'OTAN en Irak.", language="fr")
    assert run(db_url, "alerts", "add", "nmi", "otan", "--backtest-days", "0").exit_code == 0
    assert run(db_url, "alerts", "edit", "nmi", "--lang", "fr", "--source", "b2").exit_code == 0
    result = run(db_url, "alerts", "edit", "nmi", "--topic", "iraq")
    assert result.exit_code == 0, result.output
    assert filters_of(db_url, "nmi") == {"languages": ["fr"], "sources": ["b2"], "topics": ["iraq"]}
    assert run(db_url, "alerts", "edit", "nmi", "--lang", "de", "--lang", "EN").exit_code == 0
    assert filters_of(db_url, "nmi") == {"languages": ["de", "en"], "sources": ["b2"], "topics": ["iraq"]}
    assert run(db_url, "alerts", "edit", "nmi", "--clear-topic", "--clear-source").exit_code == 0
    assert filters_of(db_url, "nmi") == {"languages": ["de", "en"]}
    both = run(db_url, "alerts", "edit", "nmi", "--lang", "fr", "--clear-lang")
    assert both.exit_code != 0 and "--clear-lang" in both.output
    history = show_alert(engine, "nmi")["history"]
    assert [v["version"] for v in history] == [1, 2, 3, 4, 5]


def test_an_alert_with_lang_in_capitals_fires(db_url: str) -> None:
    engine = connect(db_url)
    result = run(db_url, "alerts", "add", "fr-otan", "otan", "--lang", "FR", "--backtest-days", "0")
    assert result.exit_code == 0, result.output
    assert filters_of(db_url, "fr-otan") == {"languages": ["fr"]}
    ids = [add_article(engine, "b2", "OTAN", "La mission de l'OTAN en Irak.", language="fr")]
    assert match_new_articles(engine, ids) == 1
    bad = run(db_url, "alerts", "add", "x", "otan", "--lang", "francais-du-nord")
    assert bad.exit_code != 0 and "'francais-du-nord' is not a language code" in bad.output


def test_unknown_sources_are_an_error_with_close_matches(db_url: str) -> None:
    add_article(connect(db_url), "euractiv", "OTAN", "La mission de l'OTAN en Irak.", language="fr")
    for args in (["alerts", "add", "x", "otan", "--source", "euractif"], ["search", "otan", "--source", "euractif"],
                 ["export", "--source", "euractif"], ["articles", "--source", "euractif"],
                 ["alerts", "backtest", "otan", "--source", "euractif"]):
        result = run(db_url, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "unknown source 'euractif'" in result.output and "did you mean euractiv" in result.output, args
    assert run(db_url, "alerts", "list", "--json").output == ""


@pytest.mark.parametrize("name", ["NMI", " nmi", "nmi ", " Nmi "])
def test_alert_names_are_unique_ignoring_case_and_spaces(db_url: str, name: str) -> None:
    assert run(db_url, "alerts", "add", "nmi", "otan", "--backtest-days", "0").exit_code == 0
    result = run(db_url, "alerts", "add", name, "nato", "--backtest-days", "0")
    assert result.exit_code != 0 and "already exists" in result.output
    assert [json.loads(line)["name"] for line in run(db_url, "alerts", "list", "--json").output.splitlines()] \
        == ["nmi"]
    assert show_alert(connect(db_url), name)["name"] == "nmi"


def test_a_stripped_name_is_stored_stripped(db_url: str) -> None:
    assert run(db_url, "alerts", "add", "  border  ", "frontex", "--backtest-days", "0").exit_code == 0
    assert show_alert(connect(db_url), "border")["name"] == "border"


def test_backtest_takes_an_alert_name(db_url: str) -> None:
    engine = connect(db_url)
    add_article(engine, "b2", "OTAN", "La mission de l'OTAN en Irak.", language="fr")
    add_article(engine, "nato", "NATO", "NATO Mission Iraq.", language="en")
    assert run(db_url, "alerts", "add", "nmi", "otan OR nato", "--lang", "fr", "--backtest-days", "0").exit_code == 0
    result = run(db_url, "alerts", "backtest", "nmi")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)  # stderr says an alert was taken (--query-text for the text)
    assert (out["alert"], out["query"], out["stories"]) == ("nmi", "otan OR nato", 1)
    widened = json.loads(run(db_url, "alerts", "backtest", "NMI", "--lang", "en").stdout)
    assert widened["stories"] == 1 and widened["matches"][0]["source"] == "nato"
    text = json.loads(run(db_url, "alerts", "backtest", "otan").stdout)
    assert "alert" not in text and text["stories"] == 1


@pytest.mark.parametrize("url", ["http://", "https://", "http:///path", "http://:8080/x", "ftp://host/x"])
def test_a_webhook_needs_an_http_url_with_a_host(db_url: str, url: str) -> None:
    result = run(db_url, "alerts", "add", "hook", "otan", "--webhook", url, "--backtest-days", "0")
    assert result.exit_code != 0 and f"{url!r} is not an http(s) URL with a host" in result.output
    assert run(db_url, "alerts", "add", "hook", "otan", "--webhook", "http://127.0.0.1:9/h",
                   "--backtest-days", "0").exit_code == 0


def test_a_language_trend_is_normalized_too(db_url: str) -> None:
    result = run(db_url, "alerts", "add", "fr-volume", "--trend", "lang:fr-FR", "--backtest-days", "0")
    assert result.exit_code == 0, result.output
    assert show_alert(connect(db_url), "fr-volume")["trend"]["key"] == "fr"
    bad = run(db_url, "alerts", "add", "x", "--trend", "lang:klingon")
    assert bad.exit_code != 0 and "'klingon' is not a language code" in bad.output


def test_trends_without_a_spike_says_so_on_stderr(db_url: str) -> None:
    connect(db_url)  # an empty, migrated database: nothing can spike
    result = CliRunner().invoke(cli, ["alerts", "trends", "--day", "2025-01-01"],
                                env={"MONITOR_DB_URL": db_url})
    assert result.exit_code == 0 and result.stdout == ""  # still valid (empty) JSON Lines
    assert "no topic spiked on 2025-01-01" in result.stderr
