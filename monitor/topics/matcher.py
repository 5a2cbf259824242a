"""Compile query ASTs into matchers that share ONE Aho-Corasick automaton.

Every positional leaf (term, phrase, prefix, set item) becomes one or more
automaton keys over the space-joined normalized words (see normalize.py).  A
document is tokenized once per field and scanned once (docindex.py); each
compiled rule (nodes.py) then evaluates over the recorded hit positions.
Evaluation returns a list of occurrences ``(field, first_word, end_word, label)``
when the rule matches (possibly empty, e.g. for ``NOT x``) and ``None`` when it
does not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import ahocorasick

from monitor.suggest import did_you_mean

from .docindex import DocIndex, FieldIndex, Occ, Result
from .model import Document, Evidence
from .nodes import CAll, CAny, CAtom, CMeta, CNear, CNode, CNot, CScope, CSet
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

__all__ = [
    "CMeta",
    "CNode",
    "CompiledQuery",
    "Compiler",
    "DocIndex",
    "FieldIndex",
    "Occ",
    "Result",
    "check_sources",
    "check_topics",
    "compile_query",
    "meta_fields",
]


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


def meta_fields(node: Query, name: str) -> list[Field]:
    """Every ``name:`` field (``source``, ``lang`` or ``topic``) anywhere in ``node``, NOT and OR included."""
    if isinstance(node, Field):
        return [node] if node.name == name else []
    if isinstance(node, (And, Or)):
        return [f for item in node.items for f in meta_fields(item, name)]
    if isinstance(node, Not):
        return meta_fields(node.item, name)
    if isinstance(node, Near):
        return meta_fields(node.left, name) + meta_fields(node.right, name)
    return []


def _check_values(node: Query, name: str, known: Iterable[str], unknown: str, hint: str) -> None:
    """QuerySyntaxError naming the first ``name:`` value that no ``known`` value satisfies (compared as the
    matcher compares them: normalized, ``*`` a prefix), with close matches: it would match nothing, silently."""
    fields = meta_fields(node, name)
    values = sorted(set(known)) if fields else []
    for found in fields:
        assert isinstance(found.item, (Term, Phrase))
        meta = CMeta(name, found.item)
        if any(meta._ok(value) for value in values):
            continue
        wanted = found.item.text.rstrip("*")
        more = did_you_mean(wanted.casefold(), values) or f" ({hint})"
        what = f"starting with {wanted!r}" if meta.prefix else repr(wanted)
        raise QuerySyntaxError(f"{found.to_string()}: {unknown.format(what)}{more}", found.line, found.column)


def check_topics(node: Query, topic_ids: Iterable[str]) -> None:
    """QuerySyntaxError naming a ``topic:`` value that is no topic of the taxonomy (``topic_ids``):
    no article can carry it, so the query (an alert's, a topic rule's) would match nothing."""
    _check_values(node, "topic", topic_ids, "no topic {} in the taxonomy", "see `monitor topics list`")


def check_sources(node: Query, source_names: Iterable[str]) -> None:
    """QuerySyntaxError naming a ``source:`` value that is none of ``source_names`` (the stored and catalogue
    sources: monitor.queries.known_sources), like the ``--source`` option's check."""
    _check_values(node, "source", source_names,
                  "unknown source {}: nothing has been crawled from it and it is not in the catalogue",
                  "see `monitor sources list`")


class CompiledQuery:
    """One query compiled for repeated matching (alerts, search).

    With a ``taxonomy``, a ``topic:`` that is none of its topics is a QuerySyntaxError.
    """

    def __init__(self, query: Query, taxonomy: Taxonomy | None = None) -> None:
        self.query = query
        if taxonomy is not None:
            check_topics(query, taxonomy.topics)
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


def compile_query(source: str, taxonomy: Taxonomy | None = None, *,
                  sources: Iterable[str] | None = None) -> CompiledQuery:
    """Parse and compile ``source``; ``@sets`` and ``topic:`` resolve against ``taxonomy``
    (the bundled taxonomy when None), ``source:`` against ``sources`` when given (the caller
    with a database passes ``monitor.queries.known_sources(engine)``: the parser cannot see it)."""
    if taxonomy is None:
        from .taxonomy import Taxonomy

        taxonomy = Taxonomy.default()
    query = parse_query(source)
    try:
        if sources is not None:
            check_sources(query, sources)
        return CompiledQuery(query, taxonomy)
    except QuerySyntaxError as exc:  # found after parsing (a @set, topic: or source: value): say where
        exc.source = exc.source or source
        raise
