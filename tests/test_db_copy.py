"""``monitor db copy --to URL``: a SQLite deployment moves to PostgreSQL with everything it holds (articles
and their topics and stories, alerts with matches, deliveries and removed ids, users and their read marks,
crawl runs), ids kept, search working on the copy, new rows numbered after the copied ones; a target that
is not empty is refused and left untouched.  Real SQLite and PostgreSQL, the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from monitor.alerts import add_alert, deliver, match_new_articles, remove_alert
from monitor.cli import cli
from monitor.db import connect
from monitor.db.base import all_metadata, include_name
from monitor.search import search
from monitor.web.auth import add_user
from monitor.web.read_state import mark_read
from tests.alert_receivers import receiver  # noqa: F401 - fixture
from tests.db_fixtures import postgres_url  # noqa: F401 - fixture
from tests.test_search_fixtures import add_article


def counts(engine) -> dict[str, int]:
    tables = [t for t in all_metadata().sorted_tables if include_name(t.name, "table", None)]
    with engine.connect() as connection:
        return {t.name: connection.execute(select(func.count()).select_from(t)).scalar() for t in tables}


def test_a_sqlite_deployment_moves_to_postgresql_whole(tmp_path: Path, postgres_url: str, receiver) -> None:
    hook, _ = receiver
    source_url = f"sqlite:///{tmp_path / 'monitor.sqlite'}"
    engine = connect(source_url)
    first = add_article(engine, "b2", "L'OTAN en Irak", "La mission de l'OTAN en Irak forme.", language="fr",
                        topics=("nato",))
    add_article(engine, "nato", "NATO Mission Iraq", "NATO Mission Iraq trains instructors.", story_id=first)
    alert = add_alert(engine, "irak", "irak OR iraq", delivery={"webhook": hook})
    removed = add_alert(engine, "old", "otan", delivery={"webhook": hook})  # the newest id, then removed
    match_new_articles(engine, [first])
    deliver(engine)
    remove_alert(engine, "old")
    user = add_user(engine, "ana", "correct horse")
    mark_read(engine, user, alert, None)
    before = counts(engine)
    assert before["articles"] == 2 and before["alert_deliveries"] == 1 and before["alerts_removed"] == 1

    result = CliRunner().invoke(cli, ["db", "copy", "--to", postgres_url, "--db", source_url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == sum(before.values())
    copy = connect(postgres_url)
    assert counts(copy) == before
    assert [h.article.id for h in search(copy, "irak")] == [first]
    with copy.connect() as connection:
        stored = connection.execute(select(func.max(all_metadata().tables["articles"].c.id))).scalar()
    assert add_article(copy, "b2", "Next", "Next article.") == stored + 1
    assert add_alert(copy, "new", "frontex") == removed + 1  # past the removed alert's id too
    again = CliRunner().invoke(cli, ["db", "copy", "--to", postgres_url, "--db", source_url])
    assert again.exit_code == 1 and "not empty (table" in again.output
    assert counts(copy)["articles"] == 3
