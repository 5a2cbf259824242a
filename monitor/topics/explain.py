"""Readable explanation of a TopicHit, for ``monitor tag --explain``."""

from __future__ import annotations

from .model import Document, TopicHit

SNIPPET_CHARS = 40


def snippet(text: str, start: int, end: int, width: int = SNIPPET_CHARS) -> str:
    """``text[start:end]`` in brackets with ``width`` characters of context, on one line."""
    left = max(0, start - width)
    right = min(len(text), end + width)
    out = ("…" if left else "") + text[left:start] + "[" + text[start:end] + "]" + text[end:right]
    out += "…" if right < len(text) else ""
    return " ".join(out.split())


def explain(hit: TopicHit, doc: Document) -> str:
    """Several lines: the topic, its score, then one line per piece of evidence."""
    head = f"{hit.id}  score={hit.score:.2f}"
    if hit.implied_by:
        head += f"  (implied by {hit.implied_by})"
    lines = [head]
    for ev in hit.evidence:
        text = doc.title if ev.field == "title" else doc.text
        lines.append(f"  {ev.field}[{ev.start}:{ev.end}] {ev.term!r}: {snippet(text, ev.start, ev.end)}")
    return "\n".join(lines)
