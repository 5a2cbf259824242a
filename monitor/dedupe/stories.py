"""The story index of one database: near-duplicates join the story of their earliest copy.

One ``StoryIndex`` per database per process, shared by every crawler in it, so a
wire copy crawled from another outlet in the same run joins its story. It is
rebuilt from the persisted signatures on first use: the newest ``capacity`` of them
(``MONITOR_STORY_INDEX_SIZE``), so a crawl's memory does not grow with the database.

First use, not construction: a scheduled crawl that finds nothing new (every entry
already seen, feeds answering 304) never needs the index, and loading 100,000
signatures costs seconds of CPU and ~150 MB. The dedupe pipeline loads it in a thread
when the first new article needs a story (``ensure_loaded``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Engine, Select, func, select

from monitor.db.models import Article
from monitor.dedupe.index import DEFAULT_CAPACITY, Match, StoryIndex
from monitor.dedupe.models import ArticleSignature
from monitor.dedupe.signature import Signature, signature

LOAD_BATCH = 10_000


def stored_signatures() -> Select:
    """(article id, signature bytes, story id) of stored articles; callers add the ``where``."""
    return (select(ArticleSignature.article_id, ArticleSignature.signature, func.coalesce(Article.story_id, Article.id))
            .join(Article, Article.id == ArticleSignature.article_id))


@dataclass(frozen=True, slots=True)
class StoryAssignment:
    """Where a new article belongs: its story, the original it copies (if any), its signature."""

    story_id: int
    duplicate_of: int | None
    similarity: float | None
    signature: bytes | None


class StoryResolver:
    """Assigns new articles to stories using the database's signatures."""

    def __init__(self, engine: Engine, index: StoryIndex | None = None, *,
                 capacity: int | None = DEFAULT_CAPACITY) -> None:
        self.engine = engine
        # an empty index is falsy (len 0): test for None
        self.index = index if index is not None else StoryIndex(capacity=capacity)
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()
        self._loaded = False

    @property
    def loaded(self) -> bool:
        """Whether the index holds the database's signatures yet."""
        return self._loaded

    def ensure_loaded(self) -> None:
        """Load the stored signatures into the index, once (thread-safe; later calls return at once)."""
        if self._loaded:
            return
        with self._load_lock:
            if not self._loaded:
                self._load()
                self._loaded = True

    def _load(self) -> None:
        last = self._first_to_load() - 1
        while True:
            with self.engine.connect() as connection:
                rows = connection.execute(
                    stored_signatures().where(ArticleSignature.article_id > last)
                    .order_by(ArticleSignature.article_id).limit(LOAD_BATCH)
                ).all()
            if not rows:
                return
            # skip what an earlier, failed attempt already loaded: a retry must not trip over it
            self.index.extend((row[0], bytes(row[1]), row[2]) for row in rows if row[0] not in self.index)
            last = rows[-1][0]

    def _first_to_load(self) -> int:
        """The oldest article id the index has room for (0: all of them)."""
        if self.index.capacity is None:
            return 0
        with self.engine.connect() as connection:
            first = connection.execute(
                select(ArticleSignature.article_id).order_by(ArticleSignature.article_id.desc())
                .offset(self.index.capacity - 1).limit(1)).scalar()
        return first or 0

    def peek(self, text: str) -> StoryAssignment | None:
        """The story a new article would join, without adding it (dry runs); None for a new story."""
        return self.peek_signature(signature(text))

    def peek_signature(self, sig: Signature | None) -> StoryAssignment | None:
        """``peek`` with the text's signature already computed (e.g. in a worker process)."""
        if sig is None:
            return None
        self.ensure_loaded()
        with self._lock:
            match = self.index.query(sig)
        return StoryAssignment(match.article_id, match.article_id, match.similarity, None) if match else None

    def assign(self, article_id: int, text: str) -> StoryAssignment:
        """Add a new article to the index; returns its story (its own id when it is an original)."""
        return self.assign_signature(article_id, signature(text))

    def assign_signature(self, article_id: int, sig: Signature | None) -> StoryAssignment:
        """``assign`` with the text's signature already computed (None: too short to have one)."""
        if sig is None:
            return StoryAssignment(story_id=article_id, duplicate_of=None, similarity=None, signature=None)
        self.ensure_loaded()
        with self._lock:
            match: Match | None = self.index.query_and_add(article_id, sig)
        if match is None:
            return StoryAssignment(article_id, None, None, sig.to_bytes())
        return StoryAssignment(match.article_id, match.article_id, match.similarity, sig.to_bytes())


_resolvers: dict[str, StoryResolver] = {}
_resolvers_lock = threading.Lock()


def resolver_for(engine: Engine, capacity: int | None = DEFAULT_CAPACITY) -> StoryResolver:
    """The process-wide resolver for ``engine``'s database (the first caller's ``capacity`` holds)."""
    key = engine.url.render_as_string(hide_password=False)
    with _resolvers_lock:
        if key not in _resolvers:
            from monitor.config import load_config

            redis_url = load_config().redis_url
            if redis_url:  # distributed crawl: the LSH bands and new signatures are shared through Redis
                from monitor.distributed.stories import shared_resolver

                _resolvers[key] = shared_resolver(engine, redis_url, capacity=capacity)
            else:
                _resolvers[key] = StoryResolver(engine, capacity=capacity)
        return _resolvers[key]
