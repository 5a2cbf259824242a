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


class DocIndex:
    """A document scanned once: per-field indexes plus metadata for scopes."""

    __slots__ = ("doc", "fields", "hit_keys", "memo", "made", "prepared")

    def __init__(self, doc: Document, automaton: ahocorasick.Automaton | None) -> None:
        self.doc = doc
        self.fields = {"title": FieldIndex(doc.title, automaton), "text": FieldIndex(doc.text, automaton)}
        self.hit_keys: set[int] = set(self.fields["title"].hits) | set(self.fields["text"].hits)
        self.memo: dict[object, object] = {}  # shared term sets and terms, evaluated once per doc
        self.made: dict[Occ, Evidence] = {}  # Evidence objects shared by the topics citing a span
        self.prepared: dict[int, tuple[list[Occ], list]] = {}  # id(occurrence list) -> sorted entries

    def evidence(self, occs: Iterable[Occ]) -> list[Evidence]:
        """Occurrences as Evidence with character offsets into the original fields
        (title first, then by position; one Evidence per span)."""
        return [entry[4] for entry in self._entries(list(occs))]

    def evidence_of(self, groups: Sequence[list[Occ]]) -> list[Evidence]:
        """``evidence`` of several occurrence lists together.  Each list is sorted and
        turned into Evidence once per document (topics share term results), so a
        topic only merges ready lists."""
        if len(groups) == 1:
            return [entry[4] for entry in self._entries(groups[0])]
        out = []
        last = None
        for entry in sorted(chain.from_iterable(map(self._entries, groups))):
            if entry[:3] != last:  # one span matched by several items ("Irak", "Irak*")
                last = entry[:3]
                out.append(entry[4])
        return out

    def _entries(self, occs: list[Occ]) -> list[tuple[int, int, int, str, Evidence]]:
        """(field rank, first word, end word, label, Evidence) per distinct span, sorted."""
        cached = self.prepared.get(id(occs))
        if cached is not None and cached[0] is occs:
            return cached[1]
        entries = []
        last = None
        made = self.made
        for rank, first, end, label, field in sorted({(o[0] != "title", o[1], o[2], o[3], o[0]) for o in occs}):
            if (rank, first, end) == last:
                continue
            last = (rank, first, end)
            occ = (field, first, end, label)
            ev = made.get(occ)
            if ev is None:
                tokens = self.fields[field].tokens
                ev = made[occ] = Evidence(label, field, tokens.starts[first], tokens.ends[end - 1])
            entries.append((int(rank), first, end, label, ev))
        self.prepared[id(occs)] = (occs, entries)
        return entries
