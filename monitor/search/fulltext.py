"""Full-text search: the index narrows, the ingest matcher decides.

``iter_search`` asks the database for candidates (FTS5 ``MATCH`` on SQLite, a
``tsquery`` against the ``monitor_tsv`` GIN index on PostgreSQL) with the
filters applied in SQL, best rank first, then verifies each candidate with the
compiled query.  Results are therefore exactly the articles the ingest matcher
would accept (see translate.py for why the pre-filter is a superset).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Engine, MetaData, Table, and_, exists, literal_column, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.types import NullType

from monitor.db.models import Article, ArticleTopic, Source
from monitor.search.documents import StoredArticle, article_columns, to_articles
from monitor.search.translate import FNode, render_fts5, render_tsquery, to_filter, words_of
from monitor.topics import CompiledQuery, Evidence, Taxonomy, compile_query, snippet

# The FTS5 index (SQLite only), created and kept in sync by migration a001; it is not
# part of the models' metadata, so schema comparison skips it (monitor.db.base.include_name).
articles_fts = Table("articles_fts", MetaData(), Column("title", NullType()), Column("text", NullType()))

BATCH = 500


@dataclass(frozen=True)
class Filters:
    """Filters applied in SQL before the query: published window, languages, sources, topics."""

    since: datetime | None = None
    until: datetime | None = None
    languages: Sequence[str] = ()
    sources: Sequence[str] = ()
    topics: Sequence[str] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Filters:
        data = data or {}
        unknown = set(data) - {"languages", "sources", "topics"}
        if unknown:
            raise ValueError(f"filters: unknown key(s) {sorted(unknown)}; expected languages, sources, topics")
        return cls(languages=tuple(data.get("languages") or ()), sources=tuple(data.get("sources") or ()),
                   topics=tuple(data.get("topics") or ()))

    def accepts(self, article: StoredArticle) -> bool:
        """The same filters in Python (used by ingest matching, which has the articles in hand)."""
        if self.languages and article.language not in self.languages:
            return False
        if self.sources and article.source not in self.sources:
            return False
        if self.topics and not set(self.topics) & set(article.topics):
            return False
        if self.since and (article.published is None or article.published < self.since):
            return False
        return not (self.until and (article.published is None or article.published >= self.until))


@dataclass(frozen=True)
class Hit:
    """A verified search result with its evidence."""

    article: StoredArticle
    evidence: list[Evidence] = field(default_factory=list)

    def snippets(self, limit: int = 3) -> list[str]:
        doc = self.article
        return [snippet(doc.title if e.field == "title" else doc.text, e.start, e.end) for e in self.evidence[:limit]]

    def to_dict(self) -> dict[str, Any]:
        return {**self.article.to_dict(), "evidence": [e.to_dict() for e in self.evidence],
                "snippets": self.snippets()}


def _filter_clauses(filters: Filters) -> list[Any]:
    clauses: list[Any] = []
    if filters.since:
        clauses.append(Article.published >= filters.since)
    if filters.until:
        clauses.append(Article.published < filters.until)
    if filters.languages:
        clauses.append(Article.language.in_(list(filters.languages)))
    if filters.sources:
        clauses.append(Source.name.in_(list(filters.sources)))
    if filters.topics:
        clauses.append(exists().where(and_(ArticleTopic.article_id == Article.id,
                                           ArticleTopic.topic_id.in_(list(filters.topics)))))
    return clauses


def candidate_query(connection: Connection, pre: FNode | None, filters: Filters) -> Any:
    """The SELECT of candidate articles, best first (newest first when the index cannot narrow)."""
    query = article_columns().where(*_filter_clauses(filters))
    dialect = connection.dialect.name
    if pre is not None and dialect == "sqlite":
        return (query.join(articles_fts, literal_column("articles_fts.rowid") == Article.id)
                .where(text("articles_fts MATCH :fts").bindparams(fts=render_fts5(pre)))
                .order_by(text("bm25(articles_fts, 3.0, 1.0)"), Article.id))
    if pre is not None and dialect == "postgresql":
        words = sorted(words_of(pre))
        folded = dict(connection.execute(
            text("SELECT w, monitor_fold(w) FROM unnest(CAST(:words AS text[])) AS w"), {"words": words}).all())
        tsquery = render_tsquery(pre, lambda w: folded[w])
        if tsquery is not None:
            tsv = "monitor_tsv(articles.title, articles.text)"
            q = "to_tsquery('monitor_simple', :tsq)"
            return (query.where(text(f"{tsv} @@ {q}").bindparams(tsq=tsquery))
                    .order_by(text(f"ts_rank({tsv}, {q}) DESC").bindparams(tsq=tsquery), Article.id))
    return query.order_by(Article.published.desc().nulls_last(), Article.id.desc())


def iter_search(engine: Engine, query: str | CompiledQuery | None, filters: Filters = Filters(),
                taxonomy: Taxonomy | None = None) -> Iterator[Hit]:
    """Every article matching ``query`` (None: every article) and ``filters``, best first, streamed (no cap)."""
    compiled: CompiledQuery | None = None
    pre: FNode | None = None
    if query is not None:
        compiled = query if isinstance(query, CompiledQuery) else compile_query(query, taxonomy)
        pre = to_filter(compiled.query, (taxonomy or Taxonomy.default()).sets)
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
            candidate_query(connection, pre, filters))
        with engine.connect() as side:  # topics are read on a second connection while the first streams
            for rows in result.partitions(BATCH):
                for article in to_articles(side, rows):
                    evidence = [] if compiled is None else compiled.matches(article.document)
                    if evidence is not None:
                        yield Hit(article, evidence)


def search(engine: Engine, query: str | CompiledQuery | None, filters: Filters = Filters(), *, limit: int = 20,
           offset: int = 0, taxonomy: Taxonomy | None = None) -> list[Hit]:
    """One page of results: ``limit`` hits after skipping ``offset``."""
    if limit < 0 or offset < 0:
        raise ValueError(f"limit and offset must be >= 0, got limit={limit}, offset={offset}")
    out: list[Hit] = []
    for index, hit in enumerate(iter_search(engine, query, filters, taxonomy)):
        if index >= offset + limit:
            break
        if index >= offset:
            out.append(hit)
    return out
