"""Compile query ASTs into matchers that share ONE Aho-Corasick automaton.

Every positional leaf (term, phrase, prefix, set item) becomes one or more
automaton keys over the space-joined normalized words (see normalize.py).  A
document is tokenized once per field and scanned once; each compiled rule then
evaluates over the recorded hit positions.  Evaluation returns a list of
occurrences ``(field, first_word, end_word, label)`` when the rule matches
(possibly empty, e.g. for ``NOT x``) and ``None`` when it does not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from typing import TYPE_CHECKING

import ahocorasick

from .model import Document, Evidence
from .normalize import Tokens, normalize_words, tokenize
from .query import (
    TEXT_FIELDS,
    And,
    Field,
    Near,
    Not,
    Or,
    Phrase,
    Query,
    QuerySyntaxError,
    SetRef,
    Term,
    _words_of,
    parse_query,
)

if TYPE_CHECKING:
    from .taxonomy import Taxonomy

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


# ------------------------------------------------------------- compiled nodes


class CNode:
    """A compiled rule node; ``ev`` returns occurrences or None."""

    keys: frozenset[int] = frozenset()
    needs_hit: bool = True  # False when the node can match a document without any automaton hit

    def ev(self, idx: DocIndex, scope: tuple[str, ...]) -> Result:
        raise NotImplementedError


class CAtom(CNode):
    """A word, prefix or phrase: consecutive segments, each one automaton key."""

    def __init__(self, segments: list[tuple[int, int]], label: str) -> None:
        self.segments = segments  # (key id, number of words)
        self.label = label
        self.keys = frozenset(k for k, _ in segments)

    def ev(self, idx: DocIndex, scope: tuple[str, ...]) -> Result:
        out: list[Occ] = []
        first_key, first_len = self.segments[0]
        for field in scope:
            fi = idx.fields[field]
            starts = fi.hits.get(first_key)
            if not starts:
                continue
            if len(self.segments) == 1:
                out.extend((field, s, s + first_len, self.label) for s in starts)
                continue
            for s in starts:
                pos = s + first_len
                for key, length in self.segments[1:]:
                    if pos not in fi.hit_set(key):
                        break
                    pos += length
                else:
                    out.append((field, s, pos, self.label))
        return out or None


class CAny(CNode):
    def __init__(self, items: list[CNode]) -> None:
        self.items = items
        self.keys = frozenset().union(*(i.keys for i in items))
        self.needs_hit = all(i.needs_hit for i in items)

    def ev(self, idx: DocIndex, scope: tuple[str, ...]) -> Result:
        out: list[Occ] | None = None
        for item in self.items:
            r = item.ev(idx, scope)
            if r is not None:
                out = r if out is None else out + r
        return out


class CSet(CNode):
    """A named term set: only the items whose first key was hit are evaluated,
    and the result is memoized per document (sets are shared between topics)."""

    def __init__(self, items: list[CNode]) -> None:
        self.by_key: dict[int, list[CAtom]] = defaultdict(list)
        self.nested: list[CNode] = []
        for item in items:
            if isinstance(item, CAtom):
                self.by_key[item.segments[0][0]].append(item)
            else:
                self.nested.append(item)
        self.first_keys = frozenset(self.by_key)
        self.keys = frozenset().union(*(i.keys for i in items))

    def ev(self, idx: DocIndex, scope: tuple[str, ...]) -> Result:
        memo_key = (id(self), scope)
        if memo_key in idx.memo:
            return idx.memo[memo_key]
        out: list[Occ] | None = None
        for key in self.first_keys & idx.hit_keys:
            for atom in self.by_key[key]:
                r = atom.ev(idx, scope)
                if r is not None:
                    out = r if out is None else out + r
        for item in self.nested:
            r = item.ev(idx, scope)
            if r is not None:
                out = r if out is None else out + r
        idx.memo[memo_key] = out
        return out


class CAll(CNode):
    def __init__(self, items: list[CNode]) -> None:
        self.items = sorted(items, key=lambda i: not i.needs_hit)  # cheap rejections first
        self.keys = frozenset().union(*(i.keys for i in items))
        self.needs_hit = any(i.needs_hit for i in items)

    def ev(self, idx: DocIndex, scope: tuple[str, ...]) -> Result:
        out: list[Occ] = []
        for item in self.items:
            r = item.ev(idx, scope)
            if r is None:
                return None
            out += r
        return out


class CNot(CNode):
    needs_hit = False

    def __init__(self, item: CNode) -> None:
        self.item = item
        self.keys = item.keys

    def ev(self, idx: DocIndex, scope: tuple[str, ...]) -> Result:
        return [] if self.item.ev(idx, scope) is None else None


class CNear(CNode):
    def __init__(self, left: CNode, right: CNode, distance: int) -> None:
        self.left, self.right, self.distance = left, right, distance
        self.keys = left.keys | right.keys

    def ev(self, idx: DocIndex, scope: tuple[str, ...]) -> Result:
        lo = self.left.ev(idx, scope)
        if not lo:
            return None
        ro = self.right.ev(idx, scope)
        if not ro:
            return None
        used: dict[Occ, None] = {}
        n = self.distance
        for a in lo:
            for b in ro:
                if a[0] != b[0] or (a[1] == b[1] and a[2] == b[2]):
                    continue
                if max(b[1] - a[2], a[1] - b[2]) <= n:  # words strictly between them
                    used[a] = used[b] = None
        return list(used) or None


class CScope(CNode):
    def __init__(self, field: str, item: CNode) -> None:
        self.field, self.item = field, item
        self.keys, self.needs_hit = item.keys, item.needs_hit

    def ev(self, idx: DocIndex, scope: tuple[str, ...]) -> Result:
        return self.item.ev(idx, (self.field,)) if self.field in scope else None


class CMeta(CNode):
    """``source:``, ``lang:`` or ``topic:`` compared with the document's metadata."""

    needs_hit = False

    def __init__(self, field: str, value: Term | Phrase) -> None:
        words = value.words
        self.field = field
        self.value = " ".join(w for w, _ in words)
        self.prefix = bool(words) and words[-1][1]

    def _ok(self, target: str) -> bool:
        target = " ".join(normalize_words(target))
        return target == self.value or (self.prefix and target.startswith(self.value))

    def ev(self, idx: DocIndex, scope: tuple[str, ...]) -> Result:
        doc = idx.doc
        if self.field == "lang":
            ok = self._ok(doc.language.replace("_", "-").split("-")[0])
        elif self.field == "source":
            ok = self._ok(doc.source)
        else:
            ok = any(self._ok(t) for t in doc.topics)
        return [] if ok else None


# ------------------------------------------------------------------ compiler


class Compiler:
    """Turns ASTs into CNodes, registering every key in one shared table."""

    def __init__(self, sets: Mapping[str, Sequence[str]] | None = None) -> None:
        self.sets = dict(sets or {})
        self.keys: dict[str, int] = {}
        self._set_nodes: dict[str, CNode] = {}
        self._automaton: ahocorasick.Automaton | None = None
        self._built_for = -1
        self._compiled: dict[str, CNode] = {}

    def compile_source(self, source: str) -> CNode:
        """Parse and compile ``source`` once: topics citing the same term or query
        share one node, so its per-document result is computed once."""
        node = self._compiled.get(source)
        if node is None:
            node = self._compiled[source] = self.compile(parse_query(source))
        return node

    def key_id(self, key: str) -> int:
        kid = self.keys.get(key)
        if kid is None:
            kid = self.keys[key] = len(self.keys)
        return kid

    def atom(self, words: Sequence[tuple[str, bool]], label: str) -> CAtom:
        segments: list[tuple[int, int]] = []
        run: list[str] = []
        for word, prefix in words:
            run.append(word)
            if prefix:
                segments.append((self.key_id(" " + " ".join(run)), len(run)))
                run = []
        if run:
            segments.append((self.key_id(" " + " ".join(run) + " "), len(run)))
        return CAtom(segments, label)

    def set_node(self, name: str, at: SetRef | None = None, stack: tuple[str, ...] = ()) -> CNode:
        node = self._set_nodes.get(name)
        if node is not None:
            return node
        if name not in self.sets:
            known = ", ".join(sorted(self.sets)[:12]) or "none loaded"
            raise QuerySyntaxError(
                f"unknown term set '@{name}' (known: {known}...)", at.line if at else 0, at.column if at else 0
            )
        if name in stack:
            raise ValueError(f"term set '@{name}' includes itself via {' -> '.join(stack + (name,))}")
        items: list[CNode] = []
        for item in self.sets[name]:
            if item.startswith("@"):
                items.append(self.set_node(item[1:], at, stack + (name,)))
            else:
                items.append(self.atom(_words_of(item), item))
        node = self._set_nodes[name] = CSet(items)
        return node

    def compile(self, node: Query) -> CNode:
        if isinstance(node, (Term, Phrase)):
            return self.atom(node.words, node.text)
        if isinstance(node, SetRef):
            return self.set_node(node.name, node)
        if isinstance(node, And):
            return CAll([self.compile(i) for i in node.items])
        if isinstance(node, Or):
            return CAny([self.compile(i) for i in node.items])
        if isinstance(node, Not):
            return CNot(self.compile(node.item))
        if isinstance(node, Near):
            return CNear(self.compile(node.left), self.compile(node.right), node.distance)
        if isinstance(node, Field):
            if node.name in TEXT_FIELDS:
                return CScope(node.name, self.compile(node.item))
            assert isinstance(node.item, (Term, Phrase))
            return CMeta(node.name, node.item)
        raise TypeError(f"not a query node: {node!r}")

    def automaton(self) -> ahocorasick.Automaton | None:
        """The automaton over all keys registered so far (None when there are none)."""
        if self._built_for != len(self.keys):
            auto = None
            if self.keys:
                auto = ahocorasick.Automaton()
                for key, kid in self.keys.items():
                    auto.add_word(key, (kid, len(key)))
                auto.make_automaton()
            self._automaton, self._built_for = auto, len(self.keys)
        return self._automaton


class CompiledQuery:
    """One query compiled for repeated matching (alerts, search)."""

    def __init__(self, query: Query, taxonomy: Taxonomy | None = None) -> None:
        self.query = query
        compiler = Compiler(taxonomy.sets if taxonomy is not None else {})
        self._node = compiler.compile(query)
        self._automaton = compiler.automaton()

    def matches(self, doc: Document) -> list[Evidence] | None:
        """Evidence (possibly empty, e.g. for ``lang:fr``) when ``doc`` matches, else None."""
        idx = DocIndex(doc, self._automaton)
        occs = self._node.ev(idx, TEXT_FIELDS)
        return None if occs is None else idx.evidence(occs)

    def __repr__(self) -> str:
        return f"CompiledQuery({self.query.to_string()!r})"


def compile_query(source: str, taxonomy: Taxonomy | None = None) -> CompiledQuery:
    """Parse and compile ``source``; ``@sets`` resolve against ``taxonomy``
    (the bundled taxonomy when None)."""
    if taxonomy is None:
        from .taxonomy import Taxonomy

        taxonomy = Taxonomy.default()
    return CompiledQuery(parse_query(source), taxonomy)
