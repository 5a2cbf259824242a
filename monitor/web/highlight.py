"""Highlight matched terms safely: escape every text segment, wrap matches in ``<mark>``.

Crawled text is never trusted: the output is built only from ``markupsafe.escape``
of slices of the original text plus the literal tags ``<mark>``/``</mark>``, so
no byte of the article can become markup. Offsets come from the matcher's
evidence (``Evidence.start/end`` index the original field text).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup, escape

SNIPPET_WIDTH = 80  # characters of context each side of a match in search results and alert entries


def merge_spans(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Spans clipped to ``0..length``, sorted, overlapping or touching ones merged, empty ones dropped."""
    clipped = sorted((max(0, s), min(length, e)) for s, e in spans if min(length, e) > max(0, s))
    merged: list[tuple[int, int]] = []
    for start, end in clipped:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> Markup:
    """``text`` escaped, with each span wrapped in ``<mark>``."""
    parts: list[str] = []
    pos = 0
    for start, end in merge_spans(spans, len(text)):
        parts.append(escape(text[pos:start]))
        parts.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        pos = end
    parts.append(escape(text[pos:]))
    return Markup("").join(parts)


def snippet_window(text: str, start: int, end: int, spans: Iterable[tuple[int, int]] = (),
                   width: int = SNIPPET_WIDTH) -> tuple[str, list[tuple[int, int]]]:
    """The plain text around ``start..end`` (``width`` characters each side, "…" where cut) and the spans
    that fall inside it, as offsets into that snippet (default: ``start..end`` alone).

    Plain text and offsets, not markup: the pages escape it through ``highlight``, the JSON API returns it
    as it is (``monitor.web.entries``), so both show the same marks.
    """
    left, right = max(0, start - width), min(len(text), end + width)
    prefix = "…" if left else ""
    body = prefix + text[left:right] + ("…" if right < len(text) else "")
    shift = len(prefix) - left
    inside = [(max(s, left) + shift, min(e, right) + shift) for s, e in (list(spans) or [(start, end)])
              if s < right and e > left]
    return body, merge_spans(inside, len(body))


def snippet(text: str, start: int, end: int, spans: Iterable[tuple[int, int]] = (),
            width: int = SNIPPET_WIDTH) -> Markup:
    """``snippet_window`` escaped, its spans wrapped in ``<mark>``."""
    return highlight(*snippet_window(text, start, end, spans, width))


def spans_for(evidence: Iterable[Any], field: str) -> list[tuple[int, int]]:
    """(start, end) of the evidence in ``field`` (``title`` or ``text``); accepts Evidence or its dict form."""
    out = []
    for ev in evidence:
        data = ev if isinstance(ev, dict) else ev.to_dict()
        if data.get("field") == field and isinstance(data.get("start"), int) and isinstance(data.get("end"), int):
            out.append((data["start"], data["end"]))
    return out


def paragraphs(text: str, spans: Iterable[tuple[int, int]]) -> list[Markup]:
    """The highlighted text split into paragraphs at blank lines / newlines (offsets stay in the full text)."""
    spans = merge_spans(spans, len(text))
    out: list[Markup] = []
    pos = 0
    for line in text.split("\n"):
        end = pos + len(line)
        local = [(max(s, pos) - pos, min(e, end) - pos) for s, e in spans if s < end and e > pos]
        if line.strip():
            out.append(highlight(line, local))
        pos = end + 1
    return out
