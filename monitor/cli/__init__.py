"""The ``monitor`` command line: one group, one module per family of commands.

Every command has ``--help``; machine output is JSON. Errors a user can cause
(unknown source, bad query, bad URL, bad date) print one line and exit non-zero,
never a traceback.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from typing import Any

import click

from monitor import __version__
from monitor.cli.output import MonitorError

USER_ERRORS: tuple[type[BaseException], ...] = (ValueError, OSError, LookupError)


class MonitorGroup(click.Group):
    """A click group that turns user errors into one-line messages."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.Exit:
            raise
        except (click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("monitor: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            _quiet_broken_pipe()
        except USER_ERRORS as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            raise MonitorError(f"{exc}{_source_excerpt(exc)}") from exc
        except Exception as exc:  # database errors and the like: say what, not where
            if ctx.obj and ctx.obj.get("debug"):
                raise
            raise MonitorError(_describe(exc)) from exc


def _describe(exc: Exception) -> str:
    """An unexpected error in one line: a database driver's error says "database: reason" (its own first
    line, without SQLAlchemy's "(psycopg.OperationalError)" wrapping); anything else its class and message."""
    from sqlalchemy.exc import DBAPIError

    from monitor.cli.services import reason_of

    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"database: {reason_of(exc)}"
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


EXCERPT_WIDTH = 72


def _source_excerpt(exc: BaseException) -> str:
    """For an error that knows its source text and position (``QuerySyntaxError``): the offending line
    and a caret under the column, on lines after the message, as a compiler shows it; else nothing.

    Why: "column 37" alone makes the user count characters; the first line stays the message (tests and
    scripts read it).  A long line is cut to a window around the column, marked with "...".
    """
    from monitor.topics import QuerySyntaxError

    if not isinstance(exc, QuerySyntaxError) or not exc.source or exc.line < 1 or exc.column < 1:
        return ""  # raised without its source (a few checks after parsing): the message alone
    lines = exc.source.split("\n")
    if exc.line > len(lines):
        return ""
    text, column = lines[exc.line - 1].rstrip("\r"), exc.column
    start = max(0, min(column - 1 - EXCERPT_WIDTH // 2, len(text) - EXCERPT_WIDTH))
    shown = ("..." if start else "") + text[start : start + EXCERPT_WIDTH] + (
        "..." if start + EXCERPT_WIDTH < len(text) else "")
    before = ("..." if start else "") + text[start : column - 1]
    pad = "".join("\t" if c == "\t" else " " for c in before)  # a tab above keeps the caret aligned
    return f"\n  {shown}\n  {pad}^"


def _quiet_broken_pipe() -> None:
    """The reader of stdout went away (``monitor export | head``): stop quietly, as other Unix tools do.

    stdout is pointed at /dev/null so the interpreter's final flush cannot fail again; the status
    is 141 (128 + SIGPIPE), what a shell reports for a tool killed by the same event.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a file (tests capture it): nothing will flush to a pipe
        pass
    sys.exit(128 + getattr(signal, "SIGPIPE", 13))


@click.group(cls=MonitorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="monitor")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.option("--log-json", is_flag=True, envvar="MONITOR_LOG_JSON",
              help="Log one JSON object per line (also MONITOR_LOG_JSON=1).")
@click.pass_context
def cli(ctx: click.Context, verbose: int, debug: bool, log_json: bool) -> None:
    """Media monitoring for defence and European-policy news.

    Crawl outlets, extract and tag articles, and query what was stored. The
    database is MONITOR_DB_URL (default: monitor.sqlite in the current directory).
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    ctx.obj["debug"] = debug
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    ctx.obj["log_level"] = logging.getLevelName(level)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.root.handlers:  # Scrapy lowers the root logger's level; the handler filters
        handler.setLevel(level)
    if log_json:
        from monitor.schedule.jsonlog import use_json_logs

        use_json_logs()


def _register() -> None:
    from monitor.cli import alerts, articles, crawl, db, schedule, search, sources, text, topics, web

    for module in (crawl, text, articles, topics, sources, alerts, search, db, schedule, web):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="monitor")
