"""A document scanned once for matching: per-field tokens, automaton hits and evidence.

Each field is tokenized (normalize.py) and scanned by the shared Aho-Corasick
automaton once; the compiled rule nodes (nodes.py) then read the recorded hit
positions.  Occurrences are ``(field, first_word, end_word, label)`` tuples;
``DocIndex.evidence`` turns them into Evidence with character offsets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import chain

import ahocorasick

from .model import Document, Evidence
from .normalize import Tokens, tokenize

Occ = tuple[str, int, int, str]  # field, first word index, end word index (exclusive), label
Result = list[Occ] | None


class FieldIndex:
    """One field's tokens plus where each automaton key was found (word indices)."""

    __slots__ = ("tokens", "hits", "_sets")

    def __init__(self, text: str, automaton: ahocorasick.Automaton | None) -> None:
        self.tokens: Tokens = tokenize(text)
        hits: dict[int, list[int]] = {}
        if automaton is not None and len(self.tokens):
            found = list(automaton.iter(self.tokens.joined))  # (end, (key id, key length))
            if found:
                words = self.tokens.word_indices([end - length + 2 for end, (_, length) in found])
                for (_, (key_id, _)), word in zip(found, words):
                    if key_id in hits:
                        hits[key_id].append(word)
                    else:
                        hits[key_id] = [word]
        self.hits = hits
        self._sets: dict[int, set[int]] = {}

    def hit_set(self, key_id: int) -> set[int]:
        found = self._sets.get(key_id)
        if found is None:
            found = self._sets[key_id] = set(self.hits.get(key_id, ()))
        return found


# A span's sort key: title before text, then first word, then end word, as ONE int
# (cheaper to sort and compare than a tuple).  Fields are far shorter than 2**31 words.
_RANK_SHIFT, _FIRST_SHIFT, _WORD_MASK = 62, 31, (1 << 31) - 1
_FIELD_OF_RANK = ("title", "text")
Span = tuple[int, str]  # (sort key, label)


def _distinct(spans: Iterable[Span]) -> list[Span]:
    """Sorted ``spans``, one per key: a span matched by several items ("Irak", "Irak*")
    keeps its smallest label."""
    out: list[Span] = []
    last = -1
    for span in sorted(spans):
        if span[0] != last:
            last = span[0]
            out.append(span)
    return out


class DocIndex:
    """A document scanned once: per-field indexes plus metadata for scopes."""

    __slots__ = ("doc", "fields", "hit_keys", "memo", "made", "prepared", "offsets")

    def __init__(self, doc: Document, automaton: ahocorasick.Automaton | None) -> None:
        self.doc = doc
        self.fields = {"title": FieldIndex(doc.title, automaton), "text": FieldIndex(doc.text, automaton)}
        self.hit_keys: set[int] = set(self.fields["title"].hits) | set(self.fields["text"].hits)
        self.memo: dict[object, object] = {}  # shared term sets, evaluated once per doc
        self.made: dict[Span, Evidence] = {}  # Evidence objects shared by the topics citing a span
        self.prepared: dict[int, tuple[list[Occ], list[Span]]] = {}  # id(occurrence list) -> its spans
        self.offsets: dict[str, dict[int, int]] = {"title": {}, "text": {}}  # part index -> character offset

    def evidence(self, occs: Iterable[Occ]) -> list[Evidence]:
        """Occurrences as Evidence with character offsets into the original fields
        (title first, then by position; one Evidence per span)."""
        return self.evidence_lists([[list(occs)]])[0]

    def evidence_of(self, groups: Sequence[list[Occ]]) -> list[Evidence]:
        """``evidence`` of several occurrence lists together."""
        return self.evidence_lists([groups])[0]

    def evidence_lists(self, topics: Sequence[Sequence[list[Occ]]]) -> list[list[Evidence]]:
        """``evidence_of`` for each of several topics at once.  Each occurrence list is
        sorted once per document (topics share term results), so a topic only merges
        ready lists; character offsets are computed for all topics in one pass."""
        prepared = self._spans
        chosen: list[list[Span]] = []
        for groups in topics:
            if len(groups) == 1:
                chosen.append(prepared(groups[0]))
            else:
                chosen.append(_distinct(chain.from_iterable(map(prepared, groups))))
        made = self.made
        missing = {span for spans in chosen for span in spans if span not in made}
        if missing:
            self._make(missing)
        return [[made[span] for span in spans] for spans in chosen]

    def _spans(self, occs: list[Occ]) -> list[Span]:
        cached = self.prepared.get(id(occs))
        if cached is not None and cached[0] is occs:
            return cached[1]
        spans = _distinct([((o[0] != "title") << _RANK_SHIFT | o[1] << _FIRST_SHIFT | o[2], o[3]) for o in occs])
        self.prepared[id(occs)] = (occs, spans)
        return spans

    def _make(self, spans: set[Span]) -> None:
        """Evidence for ``spans``: a word's offsets are those of parts 2w+1 (its start)
        and 2w+2 (its end) of the field's split text."""
        decoded = [(span, _FIELD_OF_RANK[span[0] >> _RANK_SHIFT], 2 * (span[0] >> _FIRST_SHIFT & _WORD_MASK) + 1,
                    2 * (span[0] & _WORD_MASK)) for span in spans]
        for field in _FIELD_OF_RANK:
            known = self.offsets[field]
            parts = {k for _, f, start, end in decoded if f == field for k in (start, end) if k not in known}
            if parts:
                known.update(self.fields[field].tokens.part_offsets(parts))
        made, offsets, make = self.made, self.offsets, Evidence.of
        for span, field, start, end in decoded:
            known = offsets[field]
            made[span] = make(span[1], field, known[start], known[end])
