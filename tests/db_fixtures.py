"""Run a test module on SQLite and PostgreSQL: one fresh database per test on each.

``tests/conftest.py`` imports ``both_databases`` (any test may request it). A
module that should run every ``db_url`` test on both databases imports the
override: ``from tests.db_fixtures import db_url  # noqa: F401``. The PostgreSQL
database is created with a random name on 127.0.0.1:5432 and dropped after the
test; when the server is unreachable the test skips, or fails under
``MONITOR_REQUIRE_SERVICES=1`` (``tests.conftest.require_service``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_database() -> Iterator[str]:
    """Create a uniquely named PostgreSQL database, yield its URL, drop it (FORCE) afterwards."""
    from tests.conftest import require_service

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"monitor_t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "service absent"
        admin.dispose()
        require_service("PostgreSQL", f"127.0.0.1:5432: {exc}".splitlines()[0])
        return
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def both_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, then a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'monitor.sqlite'}"
        return
    yield from postgres_database()


@pytest.fixture()
def db_url(both_databases: str) -> str:
    """Module-level override of ``conftest.db_url``: the same test on SQLite and PostgreSQL."""
    return both_databases


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database only (distributed and Scrapyd tests)."""
    yield from postgres_database()
