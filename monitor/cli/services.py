"""The services a crawl needs, checked before any crawler starts: the database answers, Redis answers.

Why: an unreachable service otherwise surfaces inside Scrapy as hundreds of traceback lines and exit
status 3, or (Redis in a plain crawl) as a crawl that downloads everything and then blames the outlet.
Used by ``monitor crawl`` and ``monitor worker``.
"""

from __future__ import annotations

import click

from monitor.cli.output import MonitorError


def check_services(ctx: click.Context, db_url: str | None, redis_url: str | None) -> None:
    """The database answers ``SELECT 1`` and, when ``redis_url`` is set, Redis answers PING; else one line
    naming the service, the URL (password hidden), where it came from and why, exit status 1. A Redis URL
    without a scheme is a usage error (exit status 2)."""
    from monitor.config import load_config

    _check_database(db_url or load_config().db_url, _origin(ctx, "db_url", "--db", "MONITOR_DB_URL",
                                                            "the default database"))
    if redis_url:
        _check_redis(ctx, redis_url, _origin(ctx, "redis_url", "--redis", "MONITOR_REDIS_URL", "MONITOR_REDIS_URL"))


def reason_of(exc: BaseException) -> str:
    """A failure's first line: the driver's own message (SQLAlchemy wraps it with its class name and a link)."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def _origin(ctx: click.Context, name: str, option: str, variable: str, default: str) -> str:
    """Where a parameter's value came from: its option, its environment variable or ``default``."""
    from click.core import ParameterSource

    if name not in ctx.params:  # no such option (crawl reads MONITOR_REDIS_URL from the environment only)
        return variable
    source = ctx.get_parameter_source(name)
    return {ParameterSource.COMMANDLINE: option, ParameterSource.ENVIRONMENT: variable}.get(source, default)


def _shown(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


def _check_database(url: str, origin: str) -> None:
    """Connect and ``SELECT 1`` (10 s connect timeout), or MonitorError naming the database and why."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from monitor.db.engine import make_engine

    engine = (make_engine(url) if url.startswith("sqlite")
              else create_engine(url, connect_args={"connect_timeout": 10}, poolclass=NullPool))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect is reported the same way
        raise MonitorError(f"database {_shown(url)} (from {origin}) is unreachable: {reason_of(exc)}") from None
    finally:
        engine.dispose()


def _check_redis(ctx: click.Context, url: str, origin: str) -> None:
    """The URL's form (a usage error naming ``redis://HOST:PORT/DB``), then PING, or MonitorError naming Redis."""
    from monitor.distributed.keys import client

    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise click.UsageError(f"{origin} {url!r}: expected redis://HOST:PORT/DB (e.g. redis://127.0.0.1:6379/0)",
                               ctx)
    try:
        client(url).ping()
    except Exception as exc:  # noqa: BLE001 - refused, timed out, bad password, bad DB number: all one line
        raise MonitorError(f"Redis {_shown(url)} (from {origin}) is unreachable: {reason_of(exc)}") from None
