"""Options shared by several command families."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

SUPPORTED_DATABASES = "only sqlite:///FILE and postgresql+psycopg://user@host/db URLs are supported"
# Commands that may start a new database: they write, and a first crawl, demo or setup has nothing to open yet.
CREATES_DATABASE = frozenset({
    "demo", "crawl", "fetch", "schedule", "worker", "db upgrade", "alerts add", "users add",
})
# Commands that only read (or change what is stored): a SQLite file that does not exist is a mistyped path,
# not a new, empty database to answer from. Every command with --db is in one of the three sets (tests/test_cli.py).
NEEDS_DATABASE = frozenset({
    "articles", "story", "search", "export", "status", "topics backtest", "topics retag",
    "db current", "db prune", "db copy", "serve", "users list", "users remove",
    "alerts list", "alerts show", "alerts edit", "alerts mute", "alerts remove", "alerts inbox", "alerts backtest",
    "alerts deliver", "alerts feed", "alerts trends",
})
# Commands whose --db may come from their group (`monitor sources --db URL list`): they check it themselves,
# when they open it (``connect(url, create=False)``); only the URL's form is checked here.
CHECKED_BY_COMMAND = frozenset({"sources", "sources list", "sources show"})


def command_key(ctx: click.Context) -> str:
    """The command's path below ``monitor``, e.g. ``alerts list``, whatever the program is called."""
    names: list[str] = []
    while ctx.parent is not None:
        names.append(ctx.command.name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))


def check_db_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The database URL, checked before anything connects: an error naming the value, where it came from,
    and a fix.

    Why: SQLAlchemy's own errors name neither the value ("Could not parse SQLAlchemy URL") nor the
    file ("unable to open database file"), and SQLite silently creates a mistyped file. The default
    URL (``MONITOR_DATA_DIR``'s monitor.sqlite) is checked too. Commands in ``NEEDS_DATABASE`` refuse
    a SQLite file that does not exist.
    """
    from monitor.config import load_config
    from monitor.db.engine import require_database, sqlite_file

    if value is None and command_key(ctx) in CHECKED_BY_COMMAND:
        return value  # the default, or the group's --db: the command checks what it opens
    text = value or load_config().db_url
    url = _parse(text, ctx, param)
    try:
        dialect = url.get_dialect()
    except Exception:  # noqa: BLE001 - NoSuchModuleError: no such kind at all
        raise _bad(f"{text!r}: unknown database kind {url.drivername!r} ({SUPPORTED_DATABASES})",
                   ctx, param) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise _bad(f"{text!r}: database kind {url.drivername!r} is not supported ({SUPPORTED_DATABASES})",
                   ctx, param)
    try:
        dialect.import_dbapi()
    except ImportError:
        raise _bad(f"{text!r}: the driver for {url.drivername!r} is not installed ({SUPPORTED_DATABASES})",
                   ctx, param) from None
    path = sqlite_file(text)
    if path is None:
        return value
    if path.is_dir():
        raise _bad(f"{text}: {path} is a directory, not a SQLite database file", ctx, param)
    if command_key(ctx) in NEEDS_DATABASE:
        require_database(text)  # NoDatabaseError: one "Error:" line, exit status 1
    if not path.parent.is_dir():
        raise _bad(f"{text}: cannot create the SQLite file there, {path.parent} is not a directory", ctx, param)
    return value


def _parse(text: str, ctx: click.Context, param: click.Parameter) -> URL:
    """``text`` as a SQLAlchemy URL, or a usage error saying what a database URL looks like."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(text)
    except ArgumentError:
        hint = (f"; for a SQLite file use sqlite:///{Path(text).expanduser().resolve()}"
                if "://" not in text else " (expected e.g. sqlite:///monitor.sqlite or "
                                          "postgresql+psycopg://user@host/db)")
        raise _bad(f"{text!r} is not a database URL{hint}", ctx, param) from None


def _bad(message: str, ctx: click.Context, param: click.Parameter) -> click.BadParameter:
    """A usage error naming where the URL came from: ``--db``, ``MONITOR_DB_URL`` or ``MONITOR_DATA_DIR``."""
    source = ctx.get_parameter_source(param.name) if param.name else None
    if source == ParameterSource.ENVIRONMENT:
        return click.BadParameter(message, ctx, param_hint="MONITOR_DB_URL (from the environment)")
    if source in (None, ParameterSource.DEFAULT) and os.environ.get("MONITOR_DATA_DIR"):
        return click.BadParameter(message, ctx, param_hint="MONITOR_DATA_DIR (the default database's folder)")
    if source in (None, ParameterSource.DEFAULT):
        return click.BadParameter(message, ctx, param_hint="the default database")
    return click.BadParameter(message, ctx, param)


DB_OPTION = click.option("--db", "db_url", envvar="MONITOR_DB_URL", callback=check_db_url,
                         help="Database URL (default: MONITOR_DB_URL or ./monitor.sqlite); a SQLite file is "
                              "sqlite:///relative/path or sqlite:////absolute/path.")


def check_base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--base-url``: an http(s) URL with a host (and a numeric port if any), or BadParameter naming it."""
    from urllib.parse import urlsplit

    if value is None:
        return value
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise click.BadParameter(f"{value!r}: the port is not a number (expected http://HOST:PORT)",
                                 ctx, param) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{value!r}: not an http(s) URL with a host (expected http://HOST:PORT)", ctx, param)
    return value


BASE_URL_OPTION = click.option("--base-url", callback=check_base_url, metavar="URL",
                               help="Replace {{REPLICA}} in catalogue URLs with this base URL "
                                    "(offline replicas: http://HOST:PORT).")
