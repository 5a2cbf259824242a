"""Options shared by several command families."""

from __future__ import annotations

from pathlib import Path

import click


def check_db_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The database URL, checked before anything connects: BadParameter naming the value and a fix.

    Why: SQLAlchemy's own errors name neither the value ("Could not parse SQLAlchemy URL") nor the
    file ("unable to open database file").
    """
    if not value:
        return value
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except ArgumentError:
        hint = (f"; for a SQLite file use sqlite:///{Path(value).expanduser().resolve()}"
                if "://" not in value else " (expected e.g. sqlite:///monitor.sqlite or "
                                           "postgresql+psycopg://user@host/db)")
        raise click.BadParameter(f"{value!r} is not a database URL{hint}", ctx, param) from None
    try:
        url.get_dialect()
    except Exception:  # noqa: BLE001 - NoSuchModuleError, or the driver is not installed
        raise click.BadParameter(f"{value!r}: unknown database kind {url.drivername!r} (expected sqlite:///FILE "
                                 "or postgresql+psycopg://user@host/db)", ctx, param) from None
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not url.database.startswith("file:"):
        folder = Path(url.database).expanduser().resolve().parent
        if not folder.is_dir():
            raise click.BadParameter(f"{value}: cannot create the SQLite file there, {folder} is not a directory",
                                     ctx, param)
    return value


DB_OPTION = click.option("--db", "db_url", envvar="MONITOR_DB_URL", callback=check_db_url,
                         help="Database URL (default: MONITOR_DB_URL or ./monitor.sqlite); a SQLite file is "
                              "sqlite:///relative/path or sqlite:////absolute/path.")
