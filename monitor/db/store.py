"""The article store: batched, idempotent writes and the "already seen?" checks.

One ``ArticleStore`` serves one crawl process. Writes are buffered and flushed in
one transaction per batch (and when the spider closes); a row that already exists
is skipped by the database itself (``ON CONFLICT DO NOTHING``), so replaying a
batch after a crash never duplicates anything. Checks consult the pending buffer
first and the database second, so they hold within a run and across runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, select

from monitor.db.models import Article, ArticleTopic, Source
from monitor.db.upsert import insert_ignoring_conflicts, rows_for

DEFAULT_BATCH_SIZE = 100


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the store records about an outlet."""

    name: str
    outlet: str
    kind: str
    languages: tuple[str, ...] = ()


@dataclass(slots=True)
class FlushResult:
    """What one flush wrote."""

    stored: int = 0
    skipped: int = 0
    ids: dict[str, int] = field(default_factory=dict)


class ArticleStore:
    """Buffers article records and writes them in idempotent batches."""

    def __init__(self, engine: Engine, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.engine = engine
        self.batch_size = batch_size
        self._pending: list[dict[str, Any]] = []
        self._pending_urls: set[str] = set()
        self._pending_hashes: set[str] = set()
        self._source_ids: dict[str, int] = {}

    # --- sources -----------------------------------------------------------------
    def source_id(self, source: SourceInfo) -> int:
        """The id of ``source``, registering it on first sight."""
        if source.name in self._source_ids:
            return self._source_ids[source.name]
        table = Source.__table__
        with self.engine.begin() as connection:
            statement = insert_ignoring_conflicts(connection, table, ["name"])
            connection.execute(
                statement,
                [{"name": source.name, "outlet": source.outlet, "kind": source.kind,
                  "languages": list(source.languages), "created": datetime.now(timezone.utc)}],
            )
            source_id = connection.execute(select(Source.id).where(Source.name == source.name)).scalar_one()
        self._source_ids[source.name] = source_id
        return source_id

    # --- checks ------------------------------------------------------------------
    def is_known_url(self, canonical_url: str) -> bool:
        """True when an article with this canonical URL is stored or pending."""
        if canonical_url in self._pending_urls:
            return True
        with self.engine.connect() as connection:
            found = connection.execute(
                select(Article.id).where(Article.canonical_url == canonical_url).limit(1)
            ).first()
        return found is not None

    def exact_duplicate(self, canonical_url: str, content_hash: str) -> tuple[str, int | None] | None:
        """Why this article is an exact duplicate and of which stored id, or None if it is new.

        The reason is "url" (same canonical URL) or "content" (same normalized
        text); the id is None while the original is still in the pending batch.
        """
        if canonical_url in self._pending_urls:
            return "url", None
        if content_hash in self._pending_hashes:
            return "content", None
        with self.engine.connect() as connection:
            row = connection.execute(
                select(Article.id, Article.canonical_url)
                .where((Article.canonical_url == canonical_url) | (Article.content_hash == content_hash))
                .order_by(Article.id)
                .limit(1)
            ).first()
        if row is None:
            return None
        return ("url" if row.canonical_url == canonical_url else "content"), row.id

    # --- writes ------------------------------------------------------------------
    def add(self, record: dict[str, Any]) -> FlushResult | None:
        """Queue one article record (with its ``topics``); flushes when the batch is full."""
        self._pending.append(record)
        self._pending_urls.add(record["canonical_url"])
        self._pending_hashes.add(record["content_hash"])
        if len(self._pending) >= self.batch_size:
            return self.flush()
        return None

    def flush(self) -> FlushResult:
        """Write all pending records in one transaction; already-stored rows are skipped."""
        result = FlushResult()
        if not self._pending:
            return result
        records = self._pending
        articles = Article.__table__
        topics = ArticleTopic.__table__
        with self.engine.begin() as connection:
            statement = insert_ignoring_conflicts(connection, articles, ["canonical_url"]).returning(
                articles.c.id, articles.c.canonical_url
            )
            inserted = connection.execute(statement, rows_for(articles, records)).all() if records else []
            result.ids = {row.canonical_url: row.id for row in inserted}
            topic_rows = [
                {"article_id": result.ids[record["canonical_url"]], "topic_id": topic["id"],
                 "score": topic["score"], "evidence": topic.get("evidence", [])}
                for record in records
                if record["canonical_url"] in result.ids
                for topic in record.get("topics", [])
            ]
            if topic_rows:
                connection.execute(insert_ignoring_conflicts(connection, topics, ["article_id", "topic_id"]), topic_rows)
        result.stored = len(result.ids)
        result.skipped = len(records) - result.stored
        self._pending = []
        self._pending_urls.clear()
        self._pending_hashes.clear()
        return result

    @property
    def pending(self) -> int:
        """How many records wait for the next flush."""
        return len(self._pending)
