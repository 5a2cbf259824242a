"""SQLite query plans of the statements a piece of code runs: for tests that guard against full scans."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, event


def plans_of(engine: Engine, database: Path, run: Callable[[], object], *, table: str) -> list[tuple[str, str]]:
    """(SQL, its EXPLAIN QUERY PLAN joined by " / ") of every statement ``run`` sends that reads ``table``."""
    statements: list[str] = []

    def trace(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    event.listen(engine, "connect", trace)
    engine.dispose()  # connections opened from now on carry the trace
    try:
        run()
    finally:
        event.remove(engine, "connect", trace)
    with sqlite3.connect(database) as raw:
        return [(sql, " / ".join(row[-1] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}")))
                for sql in statements if f"FROM {table}" in sql and sql.lstrip().upper().startswith("SELECT")]
