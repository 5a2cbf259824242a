"""Plain data passed in and out of the tagger: documents, evidence and hits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """What the tagger reads: the two text fields plus metadata for scopes.

    ``source``, ``language`` and ``topics`` are only read by the metadata
    scopes ``source:``, ``lang:`` and ``topic:``.
    """

    title: str = ""
    text: str = ""
    source: str = ""
    language: str = ""
    topics: Sequence[str] = ()


@dataclass(frozen=True, order=True)
class Evidence:
    """One matched term: the pattern as written in the query or term set, the
    field it was found in (``title`` or ``text``) and the character offsets of
    the match in that field's ORIGINAL text (``doc.title[start:end]``)."""

    term: str
    field: str
    start: int
    end: int

    def to_dict(self) -> dict[str, object]:
        return {"term": self.term, "field": self.field, "start": self.start, "end": self.end}

    @classmethod
    def of(cls, term: str, field: str, start: int, end: int) -> Evidence:
        """``Evidence(term, field, start, end)`` at half the cost: a frozen dataclass's
        ``__init__`` sets each field through ``object.__setattr__``, and the tagger makes
        hundreds of these per article.  The object is the same (fields live in __dict__)."""
        ev = object.__new__(cls)
        ev.__dict__.update(term=term, field=field, start=start, end=end)
        return ev


@dataclass
class TopicHit:
    """A topic assigned to a document, with its score and the evidence for it."""

    id: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)
    implied_by: str | None = None  # set when the topic is an ancestor of a topic that fired

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "id": self.id,
            "score": round(self.score, 3),
            "evidence": [e.to_dict() for e in self.evidence],
        }
        if self.implied_by:
            out["implied_by"] = self.implied_by
        return out
