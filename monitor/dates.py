"""Date parsing shared by extraction, feeds and storage.

Every date the monitor stores is a timezone-aware UTC ``datetime``; this module is
the one place that turns the many shapes found on the web (ISO 8601, RFC 2822,
"2024-03-12 09:30", epoch seconds, ...) into that form and back to ISO 8601 text.
Absurd values (before 1990 or more than two days in the future) are rejected so a
copyright year or a mistyped date never becomes an article's publication date.
"""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime, timedelta, timezone, tzinfo

from dateutil import parser as _dateutil_parser

__all__ = ["parse_datetime", "isoformat", "MIN_YEAR"]

MIN_YEAR = 1990
_FUTURE_SLACK = timedelta(days=2)

# Common abbreviations dateutil cannot resolve by itself (it warns and drops them).
_TZ_ABBREVIATIONS: dict[str, int | tzinfo] = {
    "UTC": 0, "GMT": 0, "Z": 0, "UT": 0,
    "EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
    "MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
    "CET": 3600, "CEST": 2 * 3600, "MEZ": 3600, "MESZ": 2 * 3600,
    "BST": 3600, "WET": 0, "WEST": 3600, "EET": 2 * 3600, "EEST": 3 * 3600,
    "MSK": 3 * 3600, "IST": 19800, "JST": 9 * 3600, "KST": 9 * 3600,
    "AEST": 10 * 3600, "AEDT": 11 * 3600,
}
_HAS_YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")
_EPOCH = re.compile(r"^\d{10}(\d{3})?$")
_ANY_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")


def _in_range(dt: datetime) -> bool:
    return dt.year >= MIN_YEAR and dt <= datetime.now(timezone.utc) + _FUTURE_SLACK


def _to_utc(dt: datetime, default_tz: tzinfo) -> datetime:
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        dt = dt.replace(tzinfo=default_tz)
    return dt.astimezone(timezone.utc)


def _parse_text(text: str, has_year: re.Pattern[str] = _HAS_YEAR) -> datetime | None:
    """Parse a date string; ``None`` when it is not a date."""
    if _EPOCH.match(text):
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        return datetime.fromtimestamp(seconds, timezone.utc)
    if not has_year.search(text):
        return None  # "5", "Monday": dateutil would invent the missing parts
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _dateutil_parser.parse(text, tzinfos=_TZ_ABBREVIATIONS)
    except (ValueError, OverflowError, TypeError):
        return None


def parse_datetime(
    value: str | datetime | date | None, *, default_tz: tzinfo = timezone.utc, plausible: bool = True
) -> datetime | None:
    """Return *value* as a tz-aware UTC datetime, or ``None`` if absent or unusable.

    Naive values are taken to be in *default_tz*. A bare date means midnight in
    *default_tz*. With *plausible* (the default, for dates read from pages), years
    before 1990 or dates more than two days ahead give ``None``; without it any real
    date with a four-digit year is accepted (a date a user typed, such as ``--since``).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        dt: datetime | None = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = " ".join(value.split())
        if not text or len(text) > 100:
            return None
        dt = _parse_text(text, _HAS_YEAR if plausible else _ANY_YEAR)
    else:
        raise TypeError(f"parse_datetime: expected str, datetime or None, got {type(value).__name__}")
    if dt is None:
        return None
    try:
        dt = _to_utc(dt, default_tz)
    except (OverflowError, ValueError):
        return None
    return dt if not plausible or _in_range(dt) else None


def isoformat(dt: datetime | None) -> str | None:
    """ISO 8601 with an explicit offset (naive input is taken as UTC), seconds precision."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.replace(microsecond=0).isoformat()

