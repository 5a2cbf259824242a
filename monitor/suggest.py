"""Close matches for a value the user mistyped: one rule for source names, topic ids and query values."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """``"; did you mean a, b?"`` naming up to three close matches of ``value`` among ``known``, or ``""``."""
    close = difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.5)
    return f"; did you mean {', '.join(close)}?" if close else ""
