"""The story index shared through Redis: bands in ``RedisBandStore``, signatures looked up on demand.

A worker adds each new article's signature to Redis (``{prefix}:sig:{id}``,
with its story id; kept for a week, by then the database has it) before the
article is even flushed, so another worker's near-duplicate finds it at once.
Candidates this process has not seen are fetched from Redis, else from the
database (``article_signatures``). Query-and-add runs under a Redis lock, so
two workers holding copies of one story at the same moment cannot both start a
new story. On start, a process pushes to Redis only the
stored signatures newer than the shared high-water mark, so N workers do not
re-add the whole archive, and never more than the newest ``capacity`` of them.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Engine

from monitor.dedupe.index import DEFAULT_BANDS, DEFAULT_CAPACITY, Match, StoryIndex
from monitor.dedupe.models import ArticleSignature
from monitor.dedupe.signature import Signature
from monitor.dedupe.stories import LOAD_BATCH, StoryResolver, stored_signatures
from monitor.distributed.bands import BAND_TTL, RedisBandStore
from monitor.distributed.keys import client, redis_prefix

SIGNATURE_TTL = 7 * 24 * 3600
LOCK_TIMEOUT = 30  # seconds a crashed holder keeps the lock
LOCK_WAIT = 120
_STORY = struct.Struct("<q")


class SharedStoryIndex(StoryIndex):
    """A ``StoryIndex`` whose new signatures are published to Redis for the other workers."""

    def __init__(self, redis: Any, prefix: str, engine: Engine, **kwargs: Any) -> None:
        self.redis = redis
        self.prefix = prefix
        self.engine = engine
        self.lock_key = f"{prefix}:story-lock"
        super().__init__(store=RedisBandStore(redis, prefix, DEFAULT_BANDS), lookup=self.lookup, **kwargs)

    def _sig_key(self, article_id: int) -> str:
        return f"{self.prefix}:sig:{article_id}"

    def add(self, article_id: int, sig: Signature, story_id: int | None = None) -> None:
        story = article_id if story_id is None else story_id
        self.redis.set(self._sig_key(article_id), _STORY.pack(story) + sig.to_bytes(), ex=SIGNATURE_TTL)
        super().add(article_id, sig, story_id)

    def query_and_add(self, article_id: int, sig: Signature) -> Match | None:
        """Query and add under a Redis lock: two workers holding copies of one story at the same moment
        would otherwise both miss each other and start two stories."""
        with self.redis.lock(self.lock_key, timeout=LOCK_TIMEOUT, blocking_timeout=LOCK_WAIT):
            return super().query_and_add(article_id, sig)

    def lookup(self, article_ids: Sequence[int]) -> Iterable[tuple[int, Signature, int]]:
        """Signatures of articles other processes added: Redis first, then the database."""
        ids = list(article_ids)
        values = self.redis.mget([self._sig_key(i) for i in ids]) if ids else []
        missing = []
        for article_id, value in zip(ids, values):
            if value:
                yield article_id, Signature.from_bytes(value[_STORY.size:]), _STORY.unpack(value[:_STORY.size])[0]
            else:
                missing.append(article_id)
        if missing:
            with self.engine.connect() as connection:
                rows = connection.execute(
                    stored_signatures().where(ArticleSignature.article_id.in_(missing))).all()
            for article_id, data, story in rows:
                yield article_id, Signature.from_bytes(bytes(data)), story


class SharedStoryResolver(StoryResolver):
    """``StoryResolver`` over a ``SharedStoryIndex``; loads only what Redis has not got yet."""

    def __init__(self, engine: Engine, redis: Any, prefix: str, capacity: int | None = DEFAULT_CAPACITY) -> None:
        self.redis = redis
        self.mark_key = f"{prefix}:band:loaded"
        super().__init__(engine, SharedStoryIndex(redis, prefix, engine, capacity=capacity))

    def _load(self) -> None:
        # the newest ``capacity`` at most, as a single process loads: after the keys expired or were
        # flushed, the mark is gone, and the whole archive must not be pushed back into Redis
        last = max(int(self.redis.get(self.mark_key) or 0), self._first_to_load() - 1)
        while True:
            with self.engine.connect() as connection:
                rows = connection.execute(
                    stored_signatures().where(ArticleSignature.article_id > last)
                    .order_by(ArticleSignature.article_id).limit(LOAD_BATCH)).all()
            if not rows:
                return
            fresh = [(row[0], bytes(row[1]), row[2]) for row in rows if row[0] not in self.index]
            self.index.extend(fresh)
            last = rows[-1][0]
            # expires with the band keys: once they are gone, the next worker must push the newest again
            self.redis.set(self.mark_key, max(last, int(self.redis.get(self.mark_key) or 0)), ex=BAND_TTL)


def shared_resolver(engine: Engine, redis_url: str, prefix: str | None = None,
                    capacity: int | None = DEFAULT_CAPACITY) -> SharedStoryResolver:
    return SharedStoryResolver(engine, client(redis_url), redis_prefix(prefix), capacity)
