"""``monitor db``: schema migrations and retention."""

from __future__ import annotations

import click

from monitor.cli.articles import parse_since
from monitor.cli.options import DB_OPTION
from monitor.cli.output import echo_json
from monitor.dates import isoformat
from monitor.db.engine import connect, make_engine
from monitor.db.migrate import current_revision, upgrade
from monitor.db.retention import HEALTH_RUNS, prune_runs


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


@db_group.command("prune")
@click.option("--runs-older-than", "older_than", required=True, metavar="AGE",
              help="Delete crawl runs started before this: 90d, 12w or a date (2026-01-01).")
@click.option("--keep-runs", type=click.IntRange(min=0), default=HEALTH_RUNS, show_default=True,
              help="Keep each source's newest N runs whatever their age (source health reads the last 30).")
@click.option("--dry-run", is_flag=True, help="Count what would go; delete nothing.")
@DB_OPTION
def prune_command(older_than: str, keep_runs: int, dry_run: bool, db_url: str | None) -> None:
    """Delete old crawl_runs rows (~6 KB each, one per crawl); articles, matches and deliveries stay.

    Prints what went (or would go) per source. On SQLite the file shrinks only after VACUUM.
    """
    before = parse_since(older_than, param_hint="--runs-older-than")
    assert before is not None  # required option: click refuses an empty value
    pruned = prune_runs(connect(db_url), before, keep=keep_runs, dry_run=dry_run)
    echo_json({"before": isoformat(before), "dry_run": dry_run, "runs_deleted": sum(pruned.values()),
               "by_source": dict(sorted(pruned.items()))})


@db_group.command("copy")
@click.option("--to", "to_url", required=True, metavar="URL",
              help="The new, empty database, e.g. postgresql+psycopg://monitor@db-host/monitor (migrated first).")
@DB_OPTION
def copy_command(to_url: str, db_url: str | None) -> None:
    """Copy this database (--db, default MONITOR_DB_URL) into a new, empty one: every article, story,
    alert with its deliveries, user and crawl run, ids kept; SQLite to PostgreSQL when you outgrow one
    machine. Stop crawls and the scheduler first; point MONITOR_DB_URL at the copy afterwards."""
    from monitor.db.copy import copy_database

    counts = copy_database(connect(db_url, create=False), connect(to_url),
                           progress=lambda table, rows: click.echo(f"{table}: {rows} rows", err=True))
    echo_json({"to": make_engine(to_url).url.render_as_string(hide_password=True),
               "rows": sum(counts.values()), "tables": counts})


COMMANDS = [db_group]
