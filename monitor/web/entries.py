"""An alert's entries as the dashboard shows them: one page at a time, with their evidence highlighted.

Paging is by key, not by offset: ``?before=MATCH_ID`` lists the entries after that one in the inbox's
order (newest match first: ``matched_at``, then id), given to ``monitor.alerts.inbox`` as its ``where``.
A page therefore stays put while new matches arrive above it, and a deep page costs what the first does.

Highlights come from each match's evidence offsets (``Evidence.start/end`` in the article's title or
text), as plain snippet text plus spans: the page escapes them through ``monitor.web.highlight``, the
JSON API returns them as they are. The inbox's own ``snippets`` (the CLI's ``[term]`` brackets) stay
as they were for API clients that read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, or_, select
from sqlalchemy.orm import aliased

from monitor.alerts import inbox
from monitor.alerts.models import AlertMatch
from monitor.web.data import match_texts
from monitor.web.highlight import snippet_window, spans_for

SNIPPETS = 3  # per entry, as monitor.alerts.deliver.entries_for


class UnknownEntryError(LookupError):
    """``before`` names no entry of the alert."""


@dataclass(frozen=True)
class EntryPage:
    """One page of an alert's entries and where it sits in the listing (all entries, or the unread ones)."""

    entries: list[dict[str, Any]]
    total: int  # entries in the listing
    first: int  # position of the first entry shown, from 1 (0 when the page is empty)
    older: int | None  # ``before`` of the next, older page; None on the last page

    @property
    def last(self) -> int:
        """Position of the last entry shown (0 when the page is empty)."""
        return self.first + len(self.entries) - 1 if self.entries else 0


def older_than(match_id: int) -> ColumnElement[bool]:
    """Matches listed after ``match_id`` in the inbox's order (``matched_at`` newest first, then id)."""
    ref = aliased(AlertMatch)
    at = select(ref.matched_at).where(ref.id == match_id).scalar_subquery()
    return or_(AlertMatch.matched_at < at, and_(AlertMatch.matched_at == at, AlertMatch.id < match_id))


def entry_page(engine: Engine, alert: Any, *, limit: int, before: int | None = None,
               where: ColumnElement[bool] | None = None, count: bool = True) -> EntryPage:
    """The ``limit`` entries of ``alert`` after entry ``before`` (from the newest when None) that satisfy
    ``where`` (e.g. unread by the user), highlighted; with ``count``, the listing's size and the page's
    position in it. UnknownEntryError when ``before`` is no match of the alert."""
    keyset = None
    if before is not None:
        with engine.connect() as connection:
            found = connection.execute(select(AlertMatch.id).where(AlertMatch.id == before,
                                                                   AlertMatch.alert_id == alert.id)).first()
        if found is None:
            raise UnknownEntryError(f"before: no entry {before} in alert {alert.name!r}")
        keyset = older_than(before)
    conditions = [c for c in (where, keyset) if c is not None]
    entries = inbox(engine, alert.name, limit=limit + 1, where=and_(*conditions) if conditions else None)
    older = entries[limit - 1]["match_id"] if len(entries) > limit else None
    entries = with_highlights(engine, entries[:limit])
    total = newer = 0
    if count:
        listing = select(func.count()).select_from(AlertMatch).where(
            AlertMatch.alert_id == alert.id, *([where] if where is not None else []))
        with engine.connect() as connection:
            total = connection.execute(listing).scalar() or 0
            if keyset is not None:  # the listing's entries shown on the newer pages
                newer = connection.execute(listing.where(~keyset)).scalar() or 0
    return EntryPage(entries, total, newer + 1 if entries else 0, older)


def with_highlights(engine: Engine, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``entries`` with ``highlights`` (per evidence snippet, as the inbox's ``snippets`` but without
    repeats: ``field``, plain ``text`` and the ``marks`` in it as [start, end]) and ``title_marks``."""
    texts = match_texts(engine, [e["match_id"] for e in entries])
    for entry in entries:
        found = texts.get(entry["match_id"], {})
        evidence = [ev for ev in found.get("evidence", []) if isinstance(ev, dict)
                    and ev.get("field") in ("title", "text")
                    and isinstance(ev.get("start"), int) and isinstance(ev.get("end"), int)]
        highlights: list[dict[str, Any]] = []
        for ev in evidence[:SNIPPETS]:
            text, marks = snippet_window(found[ev["field"]], ev["start"], ev["end"], spans_for(evidence, ev["field"]))
            item = {"field": ev["field"], "text": text, "marks": [list(m) for m in marks]}
            if item not in highlights:
                highlights.append(item)
        entry["highlights"] = highlights
        entry["title_marks"] = spans_for(evidence, "title")
    return entries
