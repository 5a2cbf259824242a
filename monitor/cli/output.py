"""How the CLI prints: JSON for machines, aligned text for people."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import click


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON text, keeping non-ASCII characters readable."""
    return json.dumps(value, ensure_ascii=False, default=_default, indent=indent)


def echo_json(value: Any, *, pretty: bool | None = None) -> None:
    """One JSON document: indented for a person at a terminal (or when ``pretty``), one line for a pipe."""
    if pretty is None:
        pretty = sys.stdout.isatty()
    click.echo(dumps(value, indent=2 if pretty else None))


def echo_jsonl(rows: Iterable[Any]) -> None:
    """One JSON object per line, flushed as it goes (streams large outputs)."""
    for row in rows:
        sys.stdout.write(dumps(row) + "\n")
    sys.stdout.flush()


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int = 70) -> None:
    """A plain aligned table; long cells are cut with an ellipsis."""
    def cell(value: Any) -> str:
        text = "" if value is None else str(value).replace("\n", " ")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    table = [[cell(h) for h in headers]] + [[cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(headers))]
    for index, row in enumerate(table):
        click.echo("  ".join(value.ljust(widths[i]) for i, value in enumerate(row)).rstrip())
        if index == 0:
            click.echo("  ".join("-" * w for w in widths))


def echo_error(message: str) -> None:
    """``Error: message`` on stderr, or under ``--log-json`` the same as a JSON log record (level ERROR,
    logger ``monitor``), so a log pipeline reading stderr as JSON lines gets no plain-text line."""
    if _json_logs():
        logging.getLogger("monitor").error(message)
    else:
        click.echo(f"Error: {message}", err=True)


def _json_logs() -> bool:
    """Whether the running command was given ``--log-json`` (or MONITOR_LOG_JSON)."""
    context = click.get_current_context(silent=True)
    return context is not None and bool(context.find_root().params.get("log_json"))


class MonitorError(click.ClickException):
    """A user error's one line (``Error: ...``), or under ``--log-json`` a JSON log record like every other line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.as_json = _json_logs()  # decided now: the context is gone when click shows the error

    def show(self, file: Any = None) -> None:
        if self.as_json:
            logging.getLogger("monitor").error(self.message)
        else:
            super().show(file)
