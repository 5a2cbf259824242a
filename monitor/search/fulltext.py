"""Full-text search: the index narrows, the ingest matcher decides.

``iter_search`` asks the database for candidates (FTS5 ``MATCH`` on SQLite,
tsqueries against the ``monitor_tsv`` and ``monitor_title_tsv`` GIN indexes on
PostgreSQL: pg_filter.py) in a bounded
order (best rank first below TIER candidates, newest first above: see
``iter_search``), then applies the filters and verifies each candidate with the
compiled query.  Results are therefore exactly the articles the ingest matcher
would accept (see translate.py for why the pre-filter is a superset).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, exists
from sqlalchemy.engine import Connection

from monitor.db.models import Article, ArticleTopic, Source
from monitor.language.codes import normalize_language_code
from monitor.search.documents import StoredArticle, article_columns, to_articles, window_parts
from monitor.search.meta import meta_clauses
from monitor.search.pg_filter import NoCondition, pg_condition
from monitor.search.translate import FNode, render_fts5, to_filter
from monitor.topics import CompiledQuery, Evidence, Taxonomy, compile_query, snippet
from monitor.topics.query import UNDETERMINED, language_value

BATCH = 500
FIRST_BATCH = 50
# A query with fewer full-text candidates is ranked by score; one with more lists them newest first (iter_search).
TIER = 2000
# PostgreSQL walks the newest matches one id window at a time: first TIER x 4 ids, then 8 times more each step.
PG_FIRST_WINDOW = 4
PG_WINDOW_GROWTH = 8


def language_key(value: str | None) -> str:
    """A language as filters compare it: ISO 639-1 (``FR``, ``fr-FR``, ``fra`` -> ``fr``), else lower-cased."""
    text = (value or UNDETERMINED).strip()
    return normalize_language_code(text) or text.lower()


def language_code(value: str) -> str:
    """A language filter value as ISO 639-1 (``und``: undetermined); ValueError naming a value that is none.
    The query's ``lang:`` reads values the same way (``language_value``)."""
    code = language_value(value)
    if code is None:
        raise ValueError(f"{value!r} is not a language code (expected ISO 639-1 such as fr, de, en, "
                         "optionally with a region: fr-FR)")
    return code


@dataclass(frozen=True)
class Filters:
    """Filters applied in SQL before the query: date window (``window_parts``), languages, sources, topics."""

    since: datetime | None = None
    until: datetime | None = None
    languages: Sequence[str] = ()
    sources: Sequence[str] = ()
    topics: Sequence[str] = ()

    def __post_init__(self) -> None:
        # "FR", "fr-FR" and "fr" are one language: stored articles carry ISO 639-1 codes, so a filter
        # compared as typed would silently match nothing (an alert with --lang FR never fired)
        object.__setattr__(self, "languages", tuple(dict.fromkeys(language_key(v) for v in self.languages)))

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
        if self.languages and language_key(article.language) not in self.languages:
            return False
        if self.sources and article.source not in self.sources:
            return False
        if self.topics and not set(self.topics) & set(article.topics):
            return False
        dated = article.dated  # as ``window_parts``: an undated article counts from when it was first fetched
        if self.since and (dated is None or dated < self.since):
            return False
        return not (self.until and (dated is None or dated >= self.until))


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
    """The filters but the date window (``window_parts``, run as separate statements) as SQL conditions."""
    clauses: list[Any] = []
    if filters.languages:
        clauses.append(Article.language.in_(list(filters.languages)))
    if filters.sources:
        clauses.append(Source.name.in_(list(filters.sources)))
    if filters.topics:
        clauses.append(exists().where(and_(ArticleTopic.article_id == Article.id,
                                           ArticleTopic.topic_id.in_(list(filters.topics)))))
    return clauses


def _tier(connection: Connection, pre: FNode, cursor: int | None, size: int | None,
          scored: bool) -> list[tuple[int, float]]:
    """Up to ``size`` (None: all) articles the pre-filter matches below id ``cursor``, highest id first,
    as (id, score); the score (lower is better) is computed only when ``scored``, else 0.

    Walking matches by id stops after ``size`` rows: its cost does not grow with how many match.
    Scoring does (bm25 counts, per query word, every article containing it), so it is asked for
    only when the candidates are few.
    """
    sqlite = connection.dialect.name == "sqlite"
    mark = (lambda name: f":{name}") if sqlite else (lambda name: f"%({name})s")
    below = "" if cursor is None else f" AND {'rowid' if sqlite else 'id'} < {mark('cursor')}"
    limit = "" if size is None else f" LIMIT {mark('size')}"
    if sqlite:
        score = "bm25(articles_fts, 3.0, 1.0)" if scored else "0"
        sql = (f"SELECT rowid, {score} FROM articles_fts WHERE articles_fts MATCH :fts{below} "
               f"ORDER BY rowid DESC{limit}")
        params: dict[str, Any] = {"fts": render_fts5(pre), "cursor": cursor, "size": size}
    else:
        try:
            condition, params, score = pg_condition(connection, pre)
        except NoCondition:
            raise _Unranked from None
        if not scored and size is not None:
            return _pg_newest(connection, condition, params, cursor, size)
        sql = f"SELECT id, -{score} FROM articles WHERE {condition}{below} ORDER BY id DESC{limit}"
        params.update({"cursor": cursor, "size": size})
    with _raw_cursor(connection, () if sqlite else ("enable_seqscan",)) as raw:
        raw.execute(sql, params)
        return [(int(i), float(s)) for i, s in raw.fetchall()]


@contextmanager
def _raw_cursor(connection: Connection, pg_off: tuple[str, ...] = ()) -> Iterator[Any]:
    """The driver's own cursor (thousands of rows without SQLAlchemy's per-row cost), with the PostgreSQL
    planner settings ``pg_off`` switched off until it closes.

    The planner cannot tell that monitor_tsv (an inlined SQL function) is expensive: for a word in most
    articles it scans the table computing every tsvector (15 s at 100,000 articles) instead of reading
    the GIN index (60 ms), so the full-text statements forbid that scan.
    """
    raw = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for name in pg_off:
            raw.execute(f"SET LOCAL {name} = off")
        yield raw
    finally:
        for name in pg_off:
            raw.execute(f"SET LOCAL {name} TO DEFAULT")
        raw.close()


def _pg_newest(connection: Connection, condition: str, params: dict[str, Any], cursor: int | None,
               size: int) -> list[tuple[int, float]]:
    """Up to ``size`` PostgreSQL matches below id ``cursor``, newest first, one id window at a time.

    A GIN index returns its matches in no order, so "the newest 2,000 of a word in most articles"
    would materialize every match (a million at 1M articles, rechecking lossy pages) before the
    sort.  Bounding the id range first (a bitmap AND with the primary key) keeps a common word's
    cost to one small window; a rare word widens the window a few times, each step 8x larger.
    Plain index scans are off for the statement: on a small id range the planner would otherwise
    walk the primary key computing every row's tsvector.
    """
    with _raw_cursor(connection, ("enable_seqscan", "enable_indexscan")) as raw:
        if cursor is None:
            raw.execute("SELECT coalesce(max(id), 0) + 1 FROM articles")
            cursor = int(raw.fetchone()[0])
        rows: list[tuple[int, float]] = []
        upper, window = cursor, size * PG_FIRST_WINDOW
        while upper > 0 and len(rows) < size:
            lower = max(0, upper - window)
            raw.execute(f"WITH m AS MATERIALIZED (SELECT id FROM articles WHERE {condition} "
                        f"AND id >= %(lower)s AND id < %(upper)s) SELECT id FROM m ORDER BY id DESC LIMIT %(need)s",
                        {**params, "lower": lower, "upper": upper, "need": size - len(rows)})
            rows += [(int(i), 0.0) for (i,) in raw.fetchall()]
            upper, window = lower, window * PG_WINDOW_GROWTH
        return rows


class _Unranked(Exception):
    """The pre-filter has no tsquery form: fall back to the unranked scan."""


def _ranked_ids(connection: Connection, pre: FNode) -> Iterator[list[int]]:
    """Candidate ids in result order, a list at a time.

    Fewer than TIER candidates: all of them, best score first.  More (a broad query): newest
    stored first (descending id), TIER at a time, unscored.
    """
    first = _tier(connection, pre, None, TIER, scored=False)
    if len(first) < TIER:
        if first:
            yield [i for _, i in sorted((s, i) for i, s in _tier(connection, pre, None, None, scored=True))]
        return
    tier = first
    while tier:
        yield [i for i, _ in tier]
        if len(tier) < TIER:
            return
        tier = _tier(connection, pre, tier[-1][0], TIER, scored=False)


def _load_in_order(connection: Connection, ids: list[int]) -> list[StoredArticle]:
    """The articles with these ids, in the order of ``ids``.

    Looked up by primary key only: with a filter such as ``language IN (...)`` in the same
    query, SQLite (no statistics) prefers that column's index and scans every article in the
    language.  The filters are applied in Python (``Filters.accepts``, as ingest matching does)
    and the query's own ``lang:/source:/topic:`` by the matcher.
    """
    rows = {a.id: a for a in to_articles(connection, connection.execute(article_columns().where(Article.id.in_(ids))))}
    return [rows[i] for i in ids if i in rows]


def candidate_query(filters_clauses: list[Any]) -> Any:
    """The SELECT of every article passing the filters, newest first (when the index cannot narrow)."""
    return (article_columns().where(*filters_clauses)
            .order_by(Article.published.desc().nulls_last(), Article.id.desc()))


def iter_search(engine: Engine, query: str | CompiledQuery | None, filters: Filters = Filters(),
                taxonomy: Taxonomy | None = None) -> Iterator[Hit]:
    """Every article matching ``query`` (None: every article) and ``filters``, best first, streamed (no cap).

    Order: when the full-text pre-filter has fewer than TIER candidates, best bm25 / ts_rank
    first; with more (a broad query: ranking would score every one of them), newest stored
    first (descending id).  Without a pre-filter (only NOT, ``lang:`` ...), newest published first.
    """
    compiled: CompiledQuery | None = None
    pre: FNode | None = None
    if query is not None:
        compiled = query if isinstance(query, CompiledQuery) else compile_query(query, taxonomy)
        pre = to_filter(compiled.query, (taxonomy or Taxonomy.default()).sets)
    with engine.connect() as connection:
        if pre is not None:
            try:
                yield from _verified_tiers(connection, pre, filters, compiled)
                return
            except _Unranked:
                pass
        clauses = _filter_clauses(filters) + ([] if compiled is None else meta_clauses(connection, compiled.query))
        size = FIRST_BATCH  # a first page needs few rows: verify them before loading more
        for window in window_parts(Article.published, filters.since, filters.until):  # dated, then undated
            result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(
                candidate_query(clauses + window))
            with engine.connect() as side:  # topics are read on a second connection while the first streams
                while rows := result.fetchmany(size):
                    size = BATCH
                    for article in to_articles(side, rows):
                        evidence = [] if compiled is None else compiled.matches(article.document)
                        if evidence is not None:
                            yield Hit(article, evidence)


def _verified_tiers(connection: Connection, pre: FNode, filters: Filters,
                    compiled: CompiledQuery | None) -> Iterator[Hit]:
    first = True
    for ids in _ranked_ids(connection, pre):
        start = 0
        while start < len(ids):
            size = FIRST_BATCH if first else BATCH  # a first page needs few rows: load them first
            first = False
            for article in _load_in_order(connection, ids[start : start + size]):
                if not filters.accepts(article):
                    continue
                evidence = [] if compiled is None else compiled.matches(article.document)
                if evidence is not None:
                    yield Hit(article, evidence)
            start += size


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
