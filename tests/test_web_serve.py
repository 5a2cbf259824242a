"""``monitor serve`` refuses what would only fail later or silently: a SQLite file that does not exist
(it used to create an empty one and serve nothing) and a port already taken (uvicorn's raw "[Errno 98]",
exit 3). No server starts in these tests: uvicorn's ``Server.run`` is replaced."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner

from monitor.cli import cli
from monitor.db import connect


@pytest.fixture()
def no_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[socket.socket]]:
    """``uvicorn.Server.run`` records the sockets it was given instead of serving; the session secret
    goes to a temporary MONITOR_DATA_DIR, not the working directory."""
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path))
    calls: list[list[socket.socket]] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: calls.append(list(sockets or [])))
    return calls


def test_serve_refuses_a_missing_sqlite_file(tmp_path: Path, no_server) -> None:
    missing = tmp_path / "typo.sqlite"
    result = CliRunner().invoke(cli, ["serve", "--port", "0", "--db", f"sqlite:///{missing}"],
                                env={"MONITOR_DB_URL": None})
    assert result.exit_code == 1, result.output
    assert f"Error: no database at {missing}" in result.output
    assert not missing.exists() and no_server == []


def test_serve_says_in_one_line_that_the_port_is_taken(tmp_path: Path, no_server) -> None:
    url = f"sqlite:///{tmp_path / 'monitor.sqlite'}"
    connect(url).dispose()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--db", url])
    assert result.exit_code == 1 and no_server == []
    assert result.output.strip() == f"Error: 127.0.0.1:{port} is already in use (another monitor serve?)"
    # a free port: uvicorn gets the socket bound to it
    result = CliRunner().invoke(cli, ["serve", "--port", "0", "--db", url])
    assert result.exit_code == 0, result.output
    (sock,), = no_server
    assert sock.getsockname()[0] == "127.0.0.1"
    sock.close()
