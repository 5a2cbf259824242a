"""Dialect-neutral "insert, ignore rows that already exist": the idempotent write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, and_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert


def insert_ignoring_conflicts(connection: Connection, table: Table, conflict_columns: list[str]) -> Insert:
    """An INSERT for ``table`` that skips rows clashing on ``conflict_columns``.

    Both SQLite and PostgreSQL spell it ``ON CONFLICT (...) DO NOTHING``; the
    statement is built with the dialect's own ``insert`` so RETURNING works too.
    """
    name = connection.dialect.name
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=conflict_columns)
    raise NotImplementedError(f"unsupported database dialect {name!r}: use SQLite or PostgreSQL")


def raise_to(connection: Connection, table: Table, key: dict[str, Any], column: str, value: int) -> None:
    """Set ``column`` of the row at ``key`` to ``value``, creating the row, unless it is already higher.

    A high-water mark that only moves forward: two writers racing leave the larger value.
    """
    connection.execute(insert_ignoring_conflicts(connection, table, list(key)).values(**key, **{column: value}))
    where = and_(*(table.c[name] == wanted for name, wanted in key.items()), table.c[column] < value)
    connection.execute(table.update().where(where).values(**{column: value}))


def rows_for(table: Table, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep only the keys that are columns of ``table``."""
    columns = set(table.columns.keys())
    return [{k: v for k, v in record.items() if k in columns} for record in records]
