"""``monitor db``: schema migrations."""

from __future__ import annotations

import click

from monitor.cli.output import echo_json
from monitor.db.engine import make_engine
from monitor.db.migrate import current_revision, upgrade
from monitor.cli.options import DB_OPTION


@click.group("db")
def db_group() -> None:
    """Database schema management (Alembic migrations)."""


@db_group.command("upgrade")
@DB_OPTION
@click.option("--revision", default="heads", show_default=True, help="Target revision (default: all heads).")
def upgrade_command(db_url: str | None, revision: str) -> None:
    """Apply pending migrations; prints the revision before and after."""
    engine = make_engine(db_url)
    before = current_revision(engine)
    after = upgrade(engine, revision)
    echo_json({"database": engine.url.render_as_string(hide_password=True), "from": before, "to": after})


@db_group.command("current")
@DB_OPTION
def current_command(db_url: str | None) -> None:
    """Print the schema revision the database is at."""
    echo_json({"revision": current_revision(make_engine(db_url))})


COMMANDS = [db_group]
