"""Push ``lang:``, ``source:`` and ``topic:`` conditions of a query into SQL.

A metadata condition joined to the rest of the query by AND (at the top level)
must hold for every match, so the database may skip articles that fail it.  The
matcher compares *normalized* values (``lang:fr`` accepts ``fr-FR``, ``topic:nato*``
any topic starting so), which SQL cannot express; instead the distinct stored
values are listed (a loose index scan: one index seek per distinct value, not a
scan of the table) and the matcher's own comparison picks the accepted ones,
so the SQL condition is exact: ``language IN (...)``, ``source_id IN (...)``,
``EXISTS (topic_id IN (...))``.  Results still go through the matcher.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, exists, false, select
from sqlalchemy.engine import Connection

from monitor.db.models import Article, ArticleTopic, Source
from monitor.topics.matcher import CMeta
from monitor.topics.query import META_FIELDS, And, Field, Query


def meta_conditions(node: Query) -> list[Field]:
    """The ``lang:``/``source:``/``topic:`` fields every match must satisfy (top-level AND items)."""
    if isinstance(node, Field) and node.name in META_FIELDS:
        return [node]
    if isinstance(node, And):
        return [f for item in node.items for f in meta_conditions(item)]
    return []


def distinct_values(connection: Connection, table: str, column: str) -> list[str]:
    """Distinct non-NULL values of an indexed column by a loose index scan (recursive min(x) > previous)."""
    sql = (f"WITH RECURSIVE v(x) AS (SELECT min({column}) FROM {table} UNION ALL "
           f"SELECT (SELECT min({column}) FROM {table} WHERE {column} > v.x) FROM v WHERE v.x IS NOT NULL) "
           f"SELECT x FROM v WHERE x IS NOT NULL")
    return list(connection.exec_driver_sql(sql).scalars())


def _accepts(field: Field) -> Callable[[str], bool]:
    """The matcher's own comparison of one stored value (see monitor.topics.matcher.CMeta)."""
    node = CMeta(field.name, field.item)  # type: ignore[arg-type]
    if field.name == "lang":
        # as StoredArticle reads it: an empty language is "und"; lang: compares the primary subtag
        return lambda value: node._ok((value or "und").replace("_", "-").split("-")[0])
    return node._ok


def meta_clauses(connection: Connection, node: Query) -> list[Any]:
    """SQL conditions equivalent to the query's top-level metadata conditions."""
    clauses: list[Any] = []
    for field in meta_conditions(node):
        ok = _accepts(field)
        if field.name == "lang":
            values = [v for v in distinct_values(connection, "articles", "language") if ok(v)]
            clauses.append(Article.language.in_(values) if values else false())
        elif field.name == "source":
            ids = [r.id for r in connection.execute(select(Source.id, Source.name)) if ok(r.name)]
            clauses.append(Article.source_id.in_(ids) if ids else false())
        else:
            values = [v for v in distinct_values(connection, "article_topics", "topic_id") if ok(v)]
            clauses.append(exists().where(and_(ArticleTopic.article_id == Article.id,
                                               ArticleTopic.topic_id.in_(values))) if values else false())
    return clauses
