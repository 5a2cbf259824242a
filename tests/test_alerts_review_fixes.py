"""Alert commands as a reviewer found them after ``monitor demo``, fixed: backtest counts past its sample,
``--no-atom`` turns the feed off, trend edits keep thresholds not given, unknown topics (and trend sources)
are errors, a query can be backtested even when an alert has its name, a missing SMTP server fails only
the alerts with e-mail to send, ``trends --z`` must be positive, and inbox / list show ids and filters.

Each test runs on SQLite and PostgreSQL (``tests.db_fixtures``)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from monitor.alerts import add_alert, deliver, match_new_articles, show_alert
from monitor.cli import cli
from monitor.db import connect
from monitor.web import create_app
from tests.db_fixtures import db_url  # noqa: F401 - every test on SQLite and PostgreSQL
from tests.test_search_fixtures import add_article


def run(url: str, *args: str) -> Result:
    """``monitor ARGS`` on the database ``url``, in process."""
    return CliRunner().invoke(cli, list(args), env={"MONITOR_DB_URL": url})


def store_stories(url: str, n: int) -> list[int]:
    """``n`` unrelated NATO stories (distinct texts, no story ids): ``n`` stories for any query matching them."""
    engine = connect(url)
    return [add_article(engine, "nato", f"NATO story {i}", f"NATO news number {i}.") for i in range(n)]


def test_backtest_counts_every_story_and_caps_only_the_sample(db_url: str) -> None:  # noqa: F811
    store_stories(db_url, 7)
    result = run(db_url, "alerts", "backtest", "nato", "--limit", "5")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["stories"], len(out["matches"])) == (7, 5)
    added = run(db_url, "alerts", "add", "n", "nato", "--backtest-days", "30")
    assert added.exit_code == 0, added.output
    backtest = json.loads(added.stdout)["backtest"]
    assert (backtest["stories"], len(backtest["sample"])) == (7, 7)


def test_no_atom_turns_the_feed_off_on_the_command_line_and_the_web(db_url: str) -> None:  # noqa: F811
    assert run(db_url, "alerts", "add", "noatom", "nato", "--no-atom", "--backtest-days", "0").exit_code == 0
    feed = run(db_url, "alerts", "feed", "noatom")
    assert feed.exit_code == 1 and feed.stdout == ""
    assert "alert 'noatom' has its Atom feed turned off" in feed.stderr
    assert "monitor alerts edit noatom --atom" in feed.stderr
    engine = connect(db_url)
    with TestClient(create_app(engine=engine, secret="s")) as client:
        off = client.get("/feeds/alerts/noatom.atom")
        assert off.status_code == 404 and "Atom feed turned off" in off.text
        assert run(db_url, "alerts", "edit", "noatom", "--atom").exit_code == 0
        assert client.get("/feeds/alerts/noatom.atom").status_code == 200
    assert run(db_url, "alerts", "feed", "noatom").exit_code == 0


def test_editing_a_trend_keeps_the_thresholds_not_given(db_url: str) -> None:  # noqa: F811
    connect(db_url)
    added = run(db_url, "alerts", "add", "vol", "--trend", "lang:fr", "--z", "1", "--min-count", "1",
                "--backtest-days", "0")
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["trend"] == {"dimension": "language", "key": "fr", "z": 1.0,
                                                 "baseline_days": 28, "min_count": 1}
    assert run(db_url, "alerts", "edit", "vol", "--trend", "lang:de").exit_code == 0
    assert show_alert(connect(db_url), "vol")["trend"] == {"dimension": "language", "key": "de", "z": 1.0,
                                                          "baseline_days": 28, "min_count": 1}
    assert run(db_url, "alerts", "edit", "vol", "--baseline-days", "14").exit_code == 0
    assert show_alert(connect(db_url), "vol")["trend"] == {"dimension": "language", "key": "de", "z": 1.0,
                                                          "baseline_days": 14, "min_count": 1}


@pytest.mark.parametrize("command", [
    ["articles", "--topic", "irak"], ["search", "nato", "--topic", "irak"], ["export", "--topic", "irak"],
    ["alerts", "add", "s1", "nato", "--topic", "irak"], ["alerts", "edit", "nmi", "--topic", "irak"],
    ["alerts", "backtest", "nato", "--topic", "irak"], ["alerts", "feed", "--topic", "irak"]])
def test_an_unknown_topic_is_an_error_with_close_matches(db_url: str, command: list[str]) -> None:  # noqa: F811
    assert run(db_url, "alerts", "add", "nmi", "nato", "--backtest-days", "0").exit_code == 0
    result = run(db_url, *command)
    assert result.exit_code == 2, (command, result.output)
    assert "unknown topic 'irak'" in result.stderr and "did you mean iraq" in result.stderr, result.stderr
    assert show_alert(connect(db_url), "nmi")["filters"] == {}
    assert [json.loads(line)["name"] for line in run(db_url, "alerts", "list", "--json").stdout.splitlines()] \
        == ["nmi"]


def test_a_trend_on_an_unknown_source_is_an_error(db_url: str) -> None:  # noqa: F811
    add_article(connect(db_url), "euractiv", "NATO", "NATO news.")
    for args in (["alerts", "add", "t3", "--trend", "source:euractif"],
                 ["alerts", "edit", "t1", "--trend", "source:euractif"]):
        if args[1] == "edit":
            assert run(db_url, "alerts", "add", "t1", "--trend", "source:euractiv",
                       "--backtest-days", "0").exit_code == 0
        result = run(db_url, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "Invalid value for --trend: unknown source 'euractif'" in result.stderr
        assert "did you mean euractiv" in result.stderr
    assert show_alert(connect(db_url), "t1")["trend"]["key"] == "euractiv"


def test_query_text_backtests_the_text_even_when_an_alert_has_that_name(db_url: str) -> None:  # noqa: F811
    engine = connect(db_url)
    add_article(engine, "nato", "NMI", "The NMI mission.")
    add_article(engine, "b2", "Sanctions", "EU sanctions.")
    assert run(db_url, "alerts", "add", "nmi", "sanctions", "--backtest-days", "0").exit_code == 0
    by_name = run(db_url, "alerts", "backtest", "NMI")
    assert by_name.exit_code == 0 and json.loads(by_name.stdout)["alert"] == "nmi"
    assert "--query-text" in by_name.stderr  # says how to backtest the text itself
    text = run(db_url, "alerts", "backtest", "NMI", "--query-text")
    assert text.exit_code == 0, text.output
    out = json.loads(text.stdout)
    assert "alert" not in out and out["query"] == "NMI" and out["stories"] == 1
    assert out["matches"][0]["title"] == "NMI" and text.stderr == ""


def test_a_missing_smtp_server_fails_only_alerts_with_e_mail_to_send(db_url: str) -> None:  # noqa: F811
    engine = connect(db_url)
    add_alert(engine, "quiet", "zzzz", delivery={"email": "a@example.eu"})
    add_alert(engine, "quiet-trend", trend={"dimension": "language", "key": "fr"},
              delivery={"email": "a@example.eu"})
    assert deliver(engine, smtp_url=None).failed == []
    result = run(db_url, "alerts", "deliver")
    assert result.exit_code == 0, result.output
    add_alert(engine, "busy", "nato", delivery={"email": "a@example.eu"})
    assert match_new_articles(engine, store_stories(db_url, 2)) == 2
    assert deliver(engine, smtp_url=None).failed == [
        "busy: 2 e-mail(s) to a@example.eu waiting, but MONITOR_SMTP_URL is not set (or give --smtp)"]
    assert run(db_url, "alerts", "deliver").exit_code == 1


@pytest.mark.parametrize("z", ["-1", "0"])
def test_trends_takes_only_a_positive_z(db_url: str, z: str) -> None:  # noqa: F811
    connect(db_url)
    result = run(db_url, "alerts", "trends", "--z", z, "--day", "2025-01-01")
    assert result.exit_code == 2 and "'--z'" in result.stderr, result.output
    assert run(db_url, "alerts", "trends", "--z", "0.5", "--day", "2025-01-01").exit_code == 0


def test_inbox_shows_article_ids_and_list_shows_filters(db_url: str) -> None:  # noqa: F811
    engine = connect(db_url)
    add_article(engine, "b2", "Sanctions", "EU sanctions.")
    article = add_article(engine, "nato", "OTAN", "NATO en français.", language="fr")
    assert run(db_url, "alerts", "add", "fr", "nato", "--lang", "fr", "--source", "nato", "--source", "b2",
               "--backtest-days", "0").exit_code == 0
    assert run(db_url, "alerts", "add", "all", "nato", "--backtest-days", "0").exit_code == 0
    assert match_new_articles(engine, [article]) == 2
    inbox = run(db_url, "alerts", "inbox", "fr").stdout.splitlines()
    assert inbox[0].split()[:2] == ["matched", "article"] and inbox[2].split()[1] == str(article)
    listed = run(db_url, "alerts", "list").stdout.splitlines()
    assert listed[0].split()[-1] == "filters"
    rows = {line.split()[0]: line for line in listed[2:]}
    assert rows["fr"].split()[-3:] == ["nato", "lang:fr", "source:nato|b2"] and rows["all"].split()[-1] == "nato"
