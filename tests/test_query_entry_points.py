"""A query's ``source:``/``topic:``/``lang:`` values and an alert's topic filter are checked wherever they enter
(``alerts add/edit``, ``search``, ``export``, the dashboard's alert form) instead of matching nothing for ever,
and an alert stored before a check (or whose taxonomy lost a topic) is skipped at ingest, logged, without
failing the store's flush for the other alerts.  SQLite and PostgreSQL, the real CLI and app."""

from __future__ import annotations

import logging
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import insert
from starlette.testclient import TestClient

from monitor.alerts import AlertError, add_alert, edit_alert, list_alerts, match_new_articles
from monitor.alerts.models import Alert, AlertMatch
from monitor.cli import cli
from monitor.db import connect
from monitor.topics import QuerySyntaxError
from monitor.web import create_app
from monitor.web.auth import add_user
from tests.db_fixtures import db_url  # noqa: F401 - every test on SQLite and PostgreSQL
from tests.test_search_fixtures import add_article
from tests.test_web import csrf_of, sign_in


def test_source_terms_name_a_known_source_everywhere(db_url: str) -> None:  # noqa: F811
    engine = connect(db_url)
    add_article(engine, "b2", "NATO in Iraq", "NATO Mission Iraq advises.")
    with pytest.raises(QuerySyntaxError, match=r"source:b3: unknown source 'b3'.*did you mean b2"):
        add_alert(engine, "typo", "nato source:b3")
    add_alert(engine, "ok", "nato source:b2")
    with pytest.raises(QuerySyntaxError, match=r"source:b3"):
        edit_alert(engine, "ok", query="nato source:b3")
    for command in (["search", "nato source:b3"], ["export", "--query", "nato source:b3"]):
        result = CliRunner().invoke(cli, command, env={"MONITOR_DB_URL": db_url})
        assert result.exit_code == 1 and "unknown source 'b3'" in result.output, (command, result.output)
    found = CliRunner().invoke(cli, ["search", "nato source:b2", "--json"], env={"MONITOR_DB_URL": db_url})
    assert found.exit_code == 0 and '"source": "b2"' in found.stdout


def test_an_alerts_topic_filter_must_be_a_topic_on_the_dashboard_too(db_url: str) -> None:  # noqa: F811
    engine = connect(db_url)
    with pytest.raises(AlertError, match=r"filters.topics: unknown topic 'irak'.*did you mean iraq"):
        add_alert(engine, "irak", "bagdad", filters={"topics": ["irak"]})
    add_user(engine, "ana", "correct horse")
    with TestClient(create_app(engine=engine, secret="test-secret")) as client:
        sign_in(client, "ana", "correct horse")
        token = csrf_of(client.get("/inbox").text)
        refused = client.post("/alerts", data={"name": "irak", "query": "bagdad", "topic": "irak",
                                               "csrf_token": token})
        assert refused.status_code == 400 and "unknown topic &#39;irak&#39;" in refused.text
        add_alert(engine, "quiet", "nato", delivery={"atom": False})
        add_alert(engine, "loud", "nato")
        inbox = client.get("/inbox").text
        assert "/feeds/alerts/loud.atom" in inbox and "/feeds/alerts/quiet.atom" not in inbox
        assert "/feeds/alerts/quiet.atom" not in client.get("/alerts/quiet").text
    assert [a["name"] for a in list_alerts(engine)] == ["loud", "quiet"]


def test_a_stored_alert_that_no_longer_compiles_is_skipped_at_ingest(db_url: str,  # noqa: F811
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    engine = connect(db_url)
    good = add_alert(engine, "good", "nato")
    with engine.begin() as connection:  # saved before lang: values were checked
        stale = connection.execute(insert(Alert).values(
            name="stale", owner="", query=f"nato lang:xx x{uuid.uuid4().hex}", filters={}, delivery={}, muted=False, version=1,
            created=list_alerts(engine)[0]["created"], updated=list_alerts(engine)[0]["created"])
        ).inserted_primary_key[0]
    article = add_article(engine, "nato", "NATO summit", "NATO allies met.")
    with caplog.at_level(logging.ERROR, logger="monitor.alerts.matching"):
        assert match_new_articles(engine, [article]) == 1
    with engine.connect() as connection:
        matched = {row.alert_id for row in connection.execute(AlertMatch.__table__.select())}
    assert matched == {good}
    assert f"alert {stale} (version 1) is skipped" in caplog.text and "monitor alerts edit" in caplog.text
