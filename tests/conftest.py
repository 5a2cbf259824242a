"""Shared fixtures: the replica server (one per session, like Scrapy's mockserver), databases, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.replica import SITES_DIR, ReplicaServer
from tests.db_fixtures import both_databases, postgres_url  # noqa: F401 - SQLite + PostgreSQL fixtures

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def replica() -> Iterator[ReplicaServer]:
    """The bundled offline replica of the outlets, served on 127.0.0.1."""
    with ReplicaServer(SITES_DIR) as server:
        yield server


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    """A fresh SQLite database file for one test."""
    return f"sqlite:///{tmp_path / 'monitor.sqlite'}"


def run_monitor(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
                cwd: Path | None = None, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run the real ``monitor`` command in a subprocess (Scrapy's reactor runs once per process)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], input=stdin, capture_output=True, text=True,
        env=full_env, cwd=cwd or REPO, timeout=timeout,
    )


def require_service(name: str, reason: str) -> None:
    """Skip when a service is absent, unless MONITOR_REQUIRE_SERVICES makes that a failure."""
    if os.environ.get("MONITOR_REQUIRE_SERVICES"):
        pytest.fail(f"{name} is required (MONITOR_REQUIRE_SERVICES is set) but unavailable: {reason}")
    pytest.skip(f"{name} unavailable: {reason}")
