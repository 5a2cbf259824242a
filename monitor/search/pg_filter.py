"""The PostgreSQL candidate condition: ``title:`` parts on the title GIN index, the rest on the full one.

Two expression GIN indexes exist: ``monitor_tsv(title, text)`` (migration a001) and
``monitor_title_tsv(title)`` (a003).  The full index stores no weights, so a query
on it cannot say "in the title": ``title:(sanctions russia)`` would fetch every
article with both words anywhere (thousands) and verify each.  Here each subtree of
the pre-filter whose phrases are all ``title:`` becomes one tsquery on the title
index, every subtree without any becomes one tsquery on the full index, and mixed
AND/OR nodes combine those conditions with AND/OR (bitmap AND/OR of the two indexes).
Every part is still a superset of what the matcher accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from monitor.search.translate import FBool, FNode, FPhrase, render_tsquery, words_of

FULL_TSV = "monitor_tsv(articles.title, articles.text)"
TITLE_TSV = "monitor_title_tsv(articles.title)"


class NoCondition(Exception):
    """The pre-filter has no tsquery form (e.g. words that fold to nothing): scan with the filters instead."""


def _columns(node: FNode) -> set[str | None]:
    if isinstance(node, FPhrase):
        return {node.column}
    return set().union(*(_columns(i) for i in node.items))


def _index_of(node: FNode) -> str | None:
    """TITLE_TSV when every phrase is title:, FULL_TSV when none is, None when mixed."""
    columns = _columns(node)
    if columns == {"title"}:
        return TITLE_TSV
    return FULL_TSV if "title" not in columns else None


def _condition(node: FNode, fold: Callable[[str], str], params: dict[str, Any]) -> str | None:
    index = _index_of(node)
    if index is not None:
        query = render_tsquery(node, fold, weighted=False)
        if query is None:
            return None
        name = f"tsq{len(params)}"
        params[name] = query
        return f"{index} @@ to_tsquery('monitor_simple', %({name})s)"
    assert isinstance(node, FBool)  # a phrase always has one column
    groups: dict[str | None, list[FNode]] = {}
    for item in node.items:
        groups.setdefault(_index_of(item), []).append(item)
    parts: list[str | None] = []
    for index, items in groups.items():
        if index is None:
            parts += [_condition(i, fold, params) for i in items]
        else:
            parts.append(_condition(items[0] if len(items) == 1 else FBool(node.op, tuple(items)), fold, params))
    if node.op == "OR" and any(p is None for p in parts):
        return None  # one unconstrained alternative makes the whole OR unconstrained
    kept = [p for p in parts if p is not None]
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else "(" + f" {node.op} ".join(kept) + ")"


def pg_condition(connection: Connection, pre: FNode) -> tuple[str, dict[str, Any], str]:
    """(WHERE condition, its parameters, score expression) for the pre-filter ``pre``.

    The score is ``ts_rank`` of the weighted tsquery on ``monitor_tsv`` (title A 1.0, text D 0.1;
    ts_rank ignores the query's weight labels, so the query words in the text count too).  A
    title-only query is scored on the title's tsvector alone, at A's weight (its default D
    weight set to 1.0): the title part of the same score, without the text's 0.1 share, and
    computed over a few title words instead of the whole text (~0.6 ms a candidate with the
    text at 100,000 articles; a title query can have 2,000 candidates to score).
    Words are folded by the database's own ``monitor_fold`` (what the indexes hold).
    Raises NoCondition when the pre-filter cannot be expressed.
    """
    words = sorted(words_of(pre))
    folded = dict(connection.execute(
        text("SELECT w, monitor_fold(w) FROM unnest(CAST(:words AS text[])) AS w"), {"words": words}).all())
    params: dict[str, Any] = {}
    condition = _condition(pre, lambda w: folded[w], params)
    title_only = _index_of(pre) == TITLE_TSV
    ranked = render_tsquery(pre, lambda w: folded[w], weighted=not title_only)
    if condition is None or ranked is None:
        raise NoCondition
    params["ranked"] = ranked
    query = "to_tsquery('monitor_simple', %(ranked)s)"
    score = (f"ts_rank('{{1.0,0.2,0.4,1.0}}', {TITLE_TSV}, {query})" if title_only
             else f"ts_rank({FULL_TSV}, {query})")
    return condition, params, score
