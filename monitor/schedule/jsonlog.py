"""JSON log lines (``monitor --log-json``): one object per record, for journald, Loki or jq.

Keys: ``time`` (ISO 8601 UTC), ``level``, ``logger``, ``message``, plus every
``extra=`` field a caller attached (the scheduler adds ``event``, ``source``,
``job``, ``status``, ...). Set ``MONITOR_LOG_JSON=1`` to get the same from child
crawl processes the scheduler starts.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=_plain, ensure_ascii=False)


def _plain(value: object) -> object:
    """A value JSON cannot hold as itself: a Scrapy spider (``extra={"spider": ...}`` on every Scrapy record)
    by its name, anything else by ``str`` (not a repr with a memory address)."""
    name = getattr(value, "name", None)
    spider = any(cls.__name__ == "Spider" for cls in type(value).__mro__)  # without importing Scrapy here
    return name if spider and isinstance(name, str) else str(value)


def use_json_logs() -> None:
    """Switch every root handler to JSON lines."""
    for handler in logging.root.handlers:
        handler.setFormatter(JsonFormatter())
