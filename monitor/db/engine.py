"""Engine setup: SQLite tuned for one writer and many readers, PostgreSQL as is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from monitor.config import load_config

SQLITE_BUSY_TIMEOUT_MS = 30_000
CREATED_BY = "a crawl or `monitor demo` or `monitor db upgrade` creates it"


class NoDatabaseError(LookupError):
    """A SQLite file that must already hold the database does not exist.

    Why: SQLite creates a missing file on connect, so a mistyped path would
    otherwise become a new, empty database and every query an empty answer.
    """


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


def sqlite_file(url: str) -> Path | None:
    """The absolute path of the file a SQLite URL names; None for other databases and in-memory SQLite.

    A relative path is resolved against the working directory, as SQLite does.
    """
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:"):
        return None
    return Path(database).absolute()


def require_database(url: str) -> None:
    """Raise ``NoDatabaseError`` naming the file when ``url`` is a SQLite file that does not exist."""
    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise NoDatabaseError(f"no database at {path} ({CREATED_BY})")


def connect(url: str | None = None, *, migrate: bool = True, create: bool = True) -> Engine:
    """An engine on an up-to-date schema: runs pending migrations first when ``migrate``.

    With ``create=False`` a SQLite file that does not exist is an error (``NoDatabaseError``)
    instead of a new, empty database: what commands that only read want.
    """
    from monitor.db.migrate import upgrade

    url = url or load_config().db_url
    if not create:
        require_database(url)
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return engine
