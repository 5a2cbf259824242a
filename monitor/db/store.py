"""The article store: batched, idempotent writes and the "already seen?" checks.

One ``ArticleStore`` per database per process, shared by every crawler in it.
Writes are buffered and flushed in one transaction per batch (and when a spider
closes); a crawl writes each batch in a thread (``take`` / ``write`` / ``notify``)
so the reactor keeps downloading while the database commits. Each article gets
its id before it is written (``IdAllocator``) so the story index can refer to it
at once. Rows that already exist are skipped, by a
check before the insert and by ``ON CONFLICT DO NOTHING`` for races with other
processes, so replaying a batch after a crash never duplicates anything.
Revisions of stored articles keep the previous version in ``article_versions``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from monitor.db.ids import IdAllocator
from monitor.db.batch_sql import FlushResult, insert_new, revise
from monitor.db.models import Article, Source
from monitor.db.upsert import insert_ignoring_conflicts

DEFAULT_BATCH_SIZE = 100
FLUSH_ATTEMPTS = 3
FLUSH_PAUSE = 0.5  # seconds before the first retry of a failed flush, then 2x, 3x ...
logger = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """A flush failed after its retries; its records stay pending and are not marked stored."""

    def __init__(self, count: int, reason: str, urls: list[str]) -> None:
        shown = ", ".join(urls[:5]) + (f" and {len(urls) - 5} more" if len(urls) > 5 else "")
        super().__init__(f"could not store {count} articles ({reason}) after {FLUSH_ATTEMPTS} attempts: {shown}")
        self.count = count
        self.reason = reason
        self.urls = urls


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the store records about an outlet."""

    name: str
    outlet: str
    kind: str
    languages: tuple[str, ...] = ()


@dataclass(slots=True)
class Batch:
    """Records taken for one write, with their URL and content-hash keys (checked until committed)."""

    records: list[dict[str, Any]]
    urls: dict[str, int]
    hashes: dict[str, int]


class ArticleStore:
    """Buffers article records and writes them in idempotent batches."""

    def __init__(self, engine: Engine, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.engine = engine
        self.batch_size = batch_size
        self.ids = IdAllocator(engine)
        self._pending: list[dict[str, Any]] = []
        self._pending_urls: dict[str, int] = {}
        self._pending_hashes: dict[str, int] = {}
        self._writing: list[Batch] = []  # taken batches not yet committed: still "pending" to the checks
        self._write_lock = threading.Lock()  # one batch written at a time, in the order they were taken
        self._source_ids: dict[str, int] = {}
        self._source_names: dict[int, str] = {}
        self._listeners: list[Callable[[FlushResult], None]] = []
        self._in_transaction: list[Callable[[Connection, FlushResult], None]] = []
        self._lock = threading.RLock()
        self._next_flush_at = 0  # after a failed flush: the pending count that triggers the next one

    def on_flush(self, listener: Callable[[FlushResult], None]) -> None:
        """Call ``listener`` with every flush's result (pipelines count their source's rows)."""
        self._listeners.append(listener)

    def within_flush(self, step: Callable[[Connection, FlushResult], None]) -> None:
        """Run ``step`` inside each flush's transaction, after the writes (alert matching)."""
        self._in_transaction.append(step)

    # --- sources -----------------------------------------------------------------
    def source_id(self, source: SourceInfo) -> int:
        """The id of ``source``, registering it on first sight."""
        if source.name in self._source_ids:
            return self._source_ids[source.name]
        table = Source.__table__
        with self.engine.begin() as connection:
            connection.execute(
                insert_ignoring_conflicts(connection, table, ["name"]),
                [{"name": source.name, "outlet": source.outlet, "kind": source.kind,
                  "languages": list(source.languages), "created": datetime.now(timezone.utc)}],
            )
            source_id = connection.execute(select(Source.id).where(Source.name == source.name)).scalar_one()
        self._source_ids[source.name] = source_id
        self._source_names[source_id] = source.name
        return source_id

    # --- checks ------------------------------------------------------------------
    def is_known_url(self, canonical_url: str) -> bool:
        """True when an article with this canonical URL is stored or pending."""
        if self._pending_key("urls", canonical_url) is not None:
            return True
        with self.engine.connect() as connection:
            found = connection.execute(
                select(Article.id).where(Article.canonical_url == canonical_url).limit(1)
            ).first()
        return found is not None

    def exact_duplicate(self, canonical_url: str, content_hash: str) -> tuple[str, int] | None:
        """Why this article is an exact duplicate and of which article id, or None if it is new.

        The reason is "url" (same canonical URL) or "content" (same normalized text).
        """
        if (pending := self._pending_key("urls", canonical_url)) is not None:
            return "url", pending
        if (pending := self._pending_key("hashes", content_hash)) is not None:
            return "content", pending
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

    def _pending_key(self, kind: str, key: str) -> int | None:
        """The article id queued (or being written) under a canonical URL ("urls") or content hash ("hashes")."""
        with self._lock:
            for keys in [getattr(self, f"_pending_{kind}"), *(getattr(b, kind) for b in self._writing)]:
                if key in keys:
                    return keys[key]
        return None

    def stored_identity(self, article_id: int) -> tuple[str | None, str] | None:
        """The stored (title, content hash) of an article, to tell a revision from a refetch."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(Article.title, Article.content_hash).where(Article.id == article_id)
            ).first()
        return (row.title, row.content_hash) if row else None

    def new_id(self) -> int:
        """An id for a new article (reserved in the database, in blocks)."""
        with self._lock:
            return self.ids.next_id()

    # --- writes ------------------------------------------------------------------
    def add(self, record: dict[str, Any]) -> FlushResult | None:
        """Queue one article record (with ``id`` and ``topics``; ``revision_of`` for a revision).

        Flushes when a batch is due and returns that flush's result.
        """
        return self.flush() if self.queue(record) else None

    def queue(self, record: dict[str, Any]) -> bool:
        """Queue one record without writing; True when a batch is due (the caller flushes).

        A batch is due when it is full; after a failed flush, only once another
        batch has come in (a full disk should not stall every item).
        """
        with self._lock:
            self._pending.append(record)
            if not record.get("revision_of"):
                self._pending_urls[record["canonical_url"]] = record["id"]
                self._pending_hashes[record["content_hash"]] = record["id"]
            return len(self._pending) >= max(self.batch_size, self._next_flush_at)

    def flush(self) -> FlushResult:
        """Write all pending records in one transaction; already-stored rows are skipped."""
        result = self.write(self.take())
        self.notify(result)
        return result

    def take(self) -> Batch:
        """Take the pending records for one write (``write``, e.g. in a thread, then ``notify``).

        Until ``write`` commits them they stay visible to ``exact_duplicate`` and
        ``is_known_url``; new records queue meanwhile for the next batch.
        """
        with self._lock:
            batch = Batch(self._pending, self._pending_urls, self._pending_hashes)
            self._pending, self._pending_urls, self._pending_hashes = [], {}, {}
            if batch.records:
                self._writing.append(batch)
            return batch

    def write(self, batch: Batch) -> FlushResult:
        """Write a taken batch in one transaction (safe in a worker thread; one batch at a time).

        A failing transaction (database locked past the busy timeout, disk full,
        connection lost) is retried ``FLUSH_ATTEMPTS`` times with a growing pause.
        If it still fails the records go back to the pending queue (a later flush
        tries them again) and ``StoreError`` says how many and why; they are never
        marked as stored, so a crawl that ends without storing them fetches them
        next time.
        """
        result = FlushResult()
        if not batch.records:
            return result
        try:
            for attempt in range(1, FLUSH_ATTEMPTS + 1):
                result = FlushResult()
                try:
                    with self._write_lock, self.engine.begin() as connection:
                        self._write(connection, batch.records, result)
                    break
                except OperationalError as exc:
                    reason = str(exc.orig or exc).splitlines()[0]
                    if attempt == FLUSH_ATTEMPTS:
                        self._restore(batch)
                        raise StoreError(len(batch.records), reason,
                                         [r["canonical_url"] for r in batch.records]) from exc
                    logger.warning("flush of %d articles failed (%s); retrying in %.1f s (attempt %d of %d)",
                                   len(batch.records), reason, FLUSH_PAUSE * attempt, attempt, FLUSH_ATTEMPTS)
                    time.sleep(FLUSH_PAUSE * attempt)
            with self._lock:
                self._next_flush_at = 0
        finally:
            with self._lock:
                self._writing.remove(batch)
        return result

    def notify(self, result: FlushResult) -> None:
        """Tell the ``on_flush`` listeners what a write stored (call it from the crawl's thread)."""
        for listener in self._listeners:
            listener(result)

    def _restore(self, batch: Batch) -> None:
        """Put a batch that could not be written back in front of the pending queue."""
        with self._lock:
            self._pending = batch.records + self._pending
            self._pending_urls = {**batch.urls, **self._pending_urls}
            self._pending_hashes = {**batch.hashes, **self._pending_hashes}
            self._next_flush_at = len(self._pending) + self.batch_size

    def _write(self, connection: Connection, records: list[dict[str, Any]], result: FlushResult) -> None:
        new = [r for r in records if not r.get("revision_of")]
        insert_new(connection, new, result, self._source_names)
        for record in records:
            if record.get("revision_of") and revise(connection, record):
                result.revised += 1
                result.revised_ids.append(record["revision_of"])
        for step in self._in_transaction:
            step(connection, result)

    @property
    def pending(self) -> int:
        """How many records wait for the next flush (or are being written)."""
        with self._lock:
            return len(self._pending) + sum(len(b.records) for b in self._writing)
