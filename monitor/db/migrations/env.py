"""Alembic environment: runs migrations on the engine handed over by monitor.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from monitor.db.base import all_metadata, include_name

config = context.config
target_metadata = all_metadata()


def run_migrations_online() -> None:
    engine: Engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            include_name=include_name,
        )
        context.run_migrations()


run_migrations_online()
