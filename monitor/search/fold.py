"""What the SQLite full-text index stores: the ingest matcher's own normalized words.

Registered as the SQL function ``monitor_fold`` on every SQLite connection
(``monitor.db.engine``) and called by the FTS5 triggers, so the index folds case,
accents and special letters exactly as the matcher does, in every script.
"""

from __future__ import annotations

from monitor.topics.normalize import normalize_words


def index_fold(text: str | None) -> str:
    """Space-separated normalized words of ``text`` (empty for NULL)."""
    return " ".join(normalize_words(text or ""))
