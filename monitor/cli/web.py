"""``monitor serve`` (the web dashboard) and ``monitor users`` (its accounts)."""

from __future__ import annotations

import errno
import socket

import click

from monitor.cli.output import MonitorError, echo_json, echo_table
from monitor.cli.options import DB_OPTION


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@DB_OPTION
@click.option("--https-only", is_flag=True, help="Mark the session cookie Secure (behind a TLS proxy).")
@click.pass_context
def serve_command(ctx: click.Context, host: str, port: int, db_url: str | None, https_only: bool) -> None:
    """Serve the analysts' web dashboard (inbox, search, articles, trends, sources, JSON API, Atom feeds).

    Sign-in accounts come from `monitor users add NAME`. Sessions are signed with
    MONITOR_WEB_SECRET, or a secret generated once in MONITOR_DATA_DIR, and checked
    against the user's session key on every request: signing out signs the user out
    everywhere, and `monitor users remove NAME` ends their sessions at once.
    """
    import uvicorn

    from monitor.web import create_app

    sock = listening_socket(host, port)  # before anything else: a busy port is one line, not uvicorn's log
    app = create_app(db_url, https_only=https_only)
    config = uvicorn.Config(app, host=host, port=port, log_level=str(ctx.obj.get("log_level", "WARNING")).lower(),
                            proxy_headers=False, server_header=False)
    uvicorn.Server(config).run(sockets=[sock])


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, for uvicorn to serve on; ClickException (one "Error:" line, exit 1)
    when it cannot be, naming the address.

    Why bind here: uvicorn reports a busy port as a logged ``[Errno 98]`` and exits 3; binding first (as
    uvicorn would: IPv6 for a host with ':', SO_REUSEADDR) and handing the socket over leaves no window
    for another process to take the port between a check and the start.
    """
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise MonitorError(f"{shown} is already in use (another monitor serve?)") from None
        raise MonitorError(f"cannot listen on {shown}: {exc.strerror or exc}") from None
    return sock


@click.group("users")
def users_group() -> None:
    """Dashboard accounts (operator-managed; passwords stored as scrypt hashes)."""


@users_group.command("add")
@click.argument("name")
@click.password_option(help="The password, at least 8 characters (prompted, twice, when not given; or "
                            "MONITOR_WEB_PASSWORD).",
                       envvar="MONITOR_WEB_PASSWORD")
@DB_OPTION
def users_add(name: str, password: str, db_url: str | None) -> None:
    """Create dashboard user NAME (a password of at least 8 characters, stored as a scrypt hash)."""
    from monitor.db import connect
    from monitor.web.auth import add_user

    user_id = add_user(connect(db_url), name, password)
    echo_json({"user": name, "id": user_id})


@users_group.command("remove")
@click.argument("name")
@DB_OPTION
def users_remove(name: str, db_url: str | None) -> None:
    """Delete dashboard user NAME and their read state; their signed-in sessions end at once."""
    from monitor.db import connect
    from monitor.web.auth import remove_user

    remove_user(connect(db_url), name)
    echo_json({"removed": name})


@users_group.command("list")
@DB_OPTION
def users_list(db_url: str | None) -> None:
    """List dashboard users."""
    from monitor.db import connect
    from monitor.web.auth import list_users

    echo_table(["name", "created"], [[u["name"], u["created"]] for u in list_users(connect(db_url))])


COMMANDS = [serve_command, users_group]
