"""Translate a query AST into a full-text pre-filter: FTS5 MATCH (SQLite) or tsquery (PostgreSQL).

The pre-filter only has to be a SUPERSET of what the exact matcher accepts:
search verifies every candidate with ``CompiledQuery.matches``, so results equal
the ingest matcher's.  Hence ``NOT x``, ``lang:``/``source:``/``topic:`` and
anything else the index cannot express become "no constraint" (``None``),
``NEAR/n`` becomes AND, and phrases with inner wildcards become AND of their parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from monitor.topics.query import And, Field, Near, Not, Or, Phrase, Query, SetRef, Term, _words_of

Word = tuple[str, bool]  # normalized word, is prefix


@dataclass(frozen=True)
class FPhrase:
    """Consecutive words (the last may be a prefix) in ``column`` (None: any column)."""

    words: tuple[Word, ...]
    column: str | None = None


@dataclass(frozen=True)
class FBool:
    op: str  # "AND" | "OR"
    items: tuple[FNode, ...]


FNode = FPhrase | FBool


def _phrases(words: Sequence[Word], column: str | None) -> FNode | None:
    """A phrase; inner prefixes split it into AND-ed segments (FTS5 allows '*' only at the end)."""
    segments: list[FPhrase] = []
    run: list[Word] = []
    for word, prefix in words:
        if not word:
            continue
        run.append((word, prefix))
        if prefix:
            segments.append(FPhrase(tuple(run), column))
            run = []
    if run:
        segments.append(FPhrase(tuple(run), column))
    if not segments:
        return None
    return segments[0] if len(segments) == 1 else FBool("AND", tuple(segments))


def _combine(op: str, items: Iterable[FNode | None]) -> FNode | None:
    items = list(items)
    if op == "OR" and any(i is None for i in items):
        return None  # one unconstrained alternative makes the whole OR unconstrained
    kept = tuple(i for i in items if i is not None)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else FBool(op, kept)


def to_filter(node: Query, sets: Mapping[str, Sequence[str]], column: str | None = None,
              _stack: tuple[str, ...] = ()) -> FNode | None:
    """The pre-filter tree for ``node``; None means "cannot narrow: scan with the other filters"."""
    if isinstance(node, (Term, Phrase)):
        return _phrases(node.words, column)
    if isinstance(node, SetRef):
        if node.name in _stack or node.name not in sets:
            return None
        items = []
        for item in sets[node.name]:
            if item.startswith("@"):
                items.append(to_filter(SetRef(item[1:]), sets, column, _stack + (node.name,)))
            else:
                items.append(_phrases(_words_of(item), column))
        return _combine("OR", items)
    if isinstance(node, And):
        return _combine("AND", (to_filter(i, sets, column, _stack) for i in node.items))
    if isinstance(node, Or):
        return _combine("OR", (to_filter(i, sets, column, _stack) for i in node.items))
    if isinstance(node, Near):
        return _combine("AND", (to_filter(node.left, sets, column, _stack),
                                to_filter(node.right, sets, column, _stack)))
    if isinstance(node, Field) and node.name in ("title", "text"):
        return to_filter(node.item, sets, node.name, _stack)
    return None  # NOT, lang:, source:, topic:


def words_of(node: FNode) -> set[str]:
    """Every word in the tree (PostgreSQL folds them in the database before building the tsquery)."""
    if isinstance(node, FPhrase):
        return {w for w, _ in node.words}
    return set().union(*(words_of(i) for i in node.items))


def render_fts5(node: FNode) -> str:
    """FTS5 MATCH syntax: ``{title} : ("nato" "mission")``, ``"irak" *``, AND / OR groups."""
    if isinstance(node, FPhrase):
        text = '"' + " ".join(w for w, _ in node.words) + '"' + (" *" if node.words[-1][1] else "")
        return f"{{{node.column}}} : ({text})" if node.column else text
    return "(" + f" {node.op} ".join(render_fts5(i) for i in node.items) + ")"


def render_tsquery(node: FNode, fold: Callable[[str], str], weighted: bool = True) -> str | None:
    """tsquery syntax for ``to_tsquery('monitor_simple', ...)``; words already folded by ``fold``.

    Phrases become AND of their words (tsvector positions are capped at 16383, so
    ``<->`` could miss matches deep in long texts); the title is weight A, the text D.
    ``weighted=False`` drops the weights: a superset the GIN index answers without
    rechecking rows (it does not store weights, so a weighted query recomputes every
    candidate's tsvector); search filters with it and ranks with the weighted form.
    """
    if isinstance(node, FPhrase):
        weight = {"title": "A", "text": "D"}.get(node.column or "", "") if weighted else ""
        parts = []
        for word, prefix in node.words:
            for piece in fold(word).split():
                star = "*" if prefix and piece == fold(word).split()[-1] else ""
                parts.append(f"'{piece}'" + (f":{star}{weight}" if star or weight else ""))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"
    rendered = [render_tsquery(i, fold, weighted) for i in node.items]
    if node.op == "OR" and any(r is None for r in rendered):
        return None
    kept = [r for r in rendered if r is not None]
    if not kept:
        return None
    return "(" + (" & " if node.op == "AND" else " | ").join(kept) + ")"
