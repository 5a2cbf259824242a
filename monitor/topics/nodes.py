"""Compiled rule nodes: a query AST turned into objects evaluated over a DocIndex.

``ev`` returns a list of occurrences ``(field, first_word, end_word, label)``
when the node matches (possibly empty, e.g. for ``NOT x``) and ``None`` when it
does not.  ``keys`` are the automaton keys a node reads; ``needs_hit`` is False
when it can match a document without any of them being hit.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict

from .docindex import DocIndex, Occ, Result
from .normalize import normalize_words
from .query_ast import Phrase, Term


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
        label = self.label
        for field in scope:
            fi = idx.fields[field]
            starts = fi.hits.get(first_key)
            if not starts:
                continue
            if len(self.segments) == 1:
                out += [(field, s, s + first_len, label) for s in starts]
                continue
            for s in starts:
                pos = s + first_len
                for key, length in self.segments[1:]:
                    if pos not in fi.hit_set(key):
                        break
                    pos += length
                else:
                    out.append((field, s, pos, label))
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
        # Right-hand occurrences per field, sorted by start word: each left one looks only at those that
        # can start within its window (a pair test over all of them was quadratic: 1.3 s for two
        # OR-groups of frequent words on one long article).
        by_field: dict[str, tuple[list[int], list[tuple[int, int, Occ]]]] = {}
        for index, b in enumerate(ro):
            by_field.setdefault(b[0], ([], []))[1].append((b[1], index, b))
        span: dict[str, int] = {}
        for field_name, (starts, rows) in by_field.items():
            rows.sort()
            starts.extend(start for start, _, _ in rows)
            span[field_name] = max(b[2] - b[1] for _, _, b in rows)
        for a in lo:
            found = by_field.get(a[0])
            if found is None:
                continue
            starts, rows = found
            first = bisect_left(starts, a[1] - n - span[a[0]])
            last = bisect_right(starts, a[2] + n)
            for _, _, b in sorted(rows[first:last], key=lambda row: row[1]):  # ro's order, as before
                if a[1] == b[1] and a[2] == b[2]:
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
