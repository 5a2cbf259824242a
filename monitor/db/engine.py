"""Engine setup: SQLite tuned for one writer and many readers, PostgreSQL as is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

from monitor.config import load_config

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (default: ``MONITOR_DB_URL`` or the SQLite file).

    SQLite connections get WAL mode (readers never block the writer), a busy
    timeout (a second writer waits instead of failing), foreign keys, and the
    ``monitor_fold`` function the full-text index triggers need.
    """
    url = url or load_config().db_url
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    from monitor.search.fold import index_fold

    # The full-text triggers call it: the index stores the matcher's own normalized words.
    dbapi_connection.create_function("monitor_fold", 1, index_fold, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def connect(url: str | None = None, *, migrate: bool = True) -> Engine:
    """An engine on an up-to-date schema: runs pending migrations first when ``migrate``."""
    from monitor.db.migrate import upgrade

    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return engine
