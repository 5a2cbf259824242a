"""``monitor serve`` (the web dashboard) and ``monitor users`` (its accounts)."""

from __future__ import annotations

import click

from monitor.cli.output import echo_json, echo_table
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

    app = create_app(db_url, https_only=https_only)
    uvicorn.run(app, host=host, port=port, log_level=str(ctx.obj.get("log_level", "WARNING")).lower(),
                proxy_headers=False, server_header=False)


@click.group("users")
def users_group() -> None:
    """Dashboard accounts (operator-managed; passwords stored as scrypt hashes)."""


@users_group.command("add")
@click.argument("name")
@click.password_option(help="The password (prompted, twice, when not given; or MONITOR_WEB_PASSWORD).",
                       envvar="MONITOR_WEB_PASSWORD")
@DB_OPTION
def users_add(name: str, password: str, db_url: str | None) -> None:
    """Create dashboard user NAME."""
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
