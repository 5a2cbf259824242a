"""``SharedArticleStore``: the article store whose pending "seen" state is visible to every worker.

Between an article's dedupe and its batch flush, other processes cannot see it
in the database. This store also claims each pending canonical URL and content
hash in Redis (``{prefix}:pending:url:...`` / ``:hash:...``, expiring after an
hour so a crashed worker's claims do not hide articles for good) and drops the
claims once the batch is written, so the seen-URL middleware and exact-duplicate
checks of all workers agree. The database's unique canonical URL remains the
final guard.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from sqlalchemy import Engine, select

from monitor.db.models import Article

from monitor.db.store import DEFAULT_BATCH_SIZE, ArticleStore, FlushResult
from monitor.distributed.keys import client, redis_prefix

CLAIM_TTL = 3600
REFERENCE_WAIT = 15.0  # seconds to wait for another worker to write the original a copy points at
log = logging.getLogger(__name__)


class SharedArticleStore(ArticleStore):
    """``ArticleStore`` plus Redis claims for pending URLs and content hashes."""

    def __init__(self, engine: Engine, redis_url: str, *, prefix: str | None = None,
                 batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        super().__init__(engine, batch_size=batch_size)
        self.redis = client(redis_url)
        self.prefix = redis_prefix(prefix)

    def _key(self, kind: str, value: str) -> str:
        return f"{self.prefix}:pending:{kind}:{hashlib.sha1(value.encode()).hexdigest()}"

    def _await_references(self, records: list[dict[str, Any]]) -> None:
        """Wait until the articles these records point at (``duplicate_of``, ``story_id``) are written.

        The shared story index lets a copy point at an original another worker has
        not flushed yet; writing first would break the foreign key. Workers write
        each article at once (batch size 1), so the wait is milliseconds; if the
        other worker died, the copy becomes its own story rather than be lost.
        """
        own = {r["id"] for r in records}
        wanted = {r.get(k) for r in records for k in ("duplicate_of", "story_id")} - own - {None}
        deadline = time.monotonic() + REFERENCE_WAIT
        while wanted:
            with self.engine.connect() as connection:
                wanted -= set(connection.execute(select(Article.id).where(Article.id.in_(wanted))).scalars())
            if not wanted or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        for record in records:
            if record.get("duplicate_of") in wanted or record.get("story_id") in wanted:
                log.warning("article %s: the story it joined (%s) was never written; it starts its own",
                            record["canonical_url"], record.get("story_id"))
                record.update(duplicate_of=None, story_id=record["id"], similarity=None)

    def is_known_url(self, canonical_url: str) -> bool:
        return super().is_known_url(canonical_url) or bool(self.redis.exists(self._key("url", canonical_url)))

    def exact_duplicate(self, canonical_url: str, content_hash: str) -> tuple[str, int] | None:
        found = super().exact_duplicate(canonical_url, content_hash)
        if found:
            return found
        by_url, by_hash = self.redis.mget([self._key("url", canonical_url), self._key("hash", content_hash)])
        if by_url:
            return "url", int(by_url)
        if by_hash:
            return "content", int(by_hash)
        return None

    def add(self, record: dict[str, Any]) -> FlushResult | None:
        if not record.get("revision_of"):
            pipe = self.redis.pipeline(transaction=False)
            pipe.set(self._key("url", record["canonical_url"]), record["id"], ex=CLAIM_TTL, nx=True)
            pipe.set(self._key("hash", record["content_hash"]), record["id"], ex=CLAIM_TTL, nx=True)
            pipe.execute()
        return super().add(record)

    def flush(self) -> FlushResult:
        with self._lock:
            records = [r for r in self._pending if not r.get("revision_of")]
            self._await_references(records)
            result = super().flush()
            if records:  # written (or skipped as already stored): the database answers from now on
                self.redis.delete(*[self._key("url", r["canonical_url"]) for r in records],
                                  *[self._key("hash", r["content_hash"]) for r in records])
            return result
