"""Alembic, driven from code, so ``monitor db upgrade`` needs no alembic.ini."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x6D6F6E69  # advisory lock key ("moni") serializing schema upgrades on PostgreSQL


def alembic_config(engine: Engine) -> Config:
    """An Alembic config pointing at the bundled migrations and ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision(s) the database is at, comma-separated, or None for an empty database.

    Each domain (core, dedupe, sources, alerts) has its own branch of migrations
    off the initial schema, so a database can be at several heads at once.
    """
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def head_revision(engine: Engine) -> str | None:
    """The newest revision(s) the code knows, in the same form."""
    return ",".join(sorted(ScriptDirectory.from_config(alembic_config(engine)).get_heads())) or None


def upgrade(engine: Engine, revision: str = "heads") -> str | None:
    """Bring the schema to ``revision`` (default: every branch's head); a no-op when already there.

    Processes starting together on a new PostgreSQL database (two ``monitor worker``) would both
    create ``alembic_version`` and one would fail: the upgrade holds an advisory lock, and the
    process that waited finds the schema current.
    """
    if revision in ("head", "heads") and current_revision(engine) == head_revision(engine):
        return current_revision(engine)
    with _migration_lock(engine):
        if revision not in ("head", "heads") or current_revision(engine) != head_revision(engine):
            command.upgrade(alembic_config(engine), revision)
    return current_revision(engine)


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """A PostgreSQL session advisory lock held on its own connection (SQLite: nothing, one writer at a time)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
        try:
            yield
        finally:
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
