"""The story index's load from the database: retried after a failure, and bounded past capacity."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from monitor.db import connect
from monitor.db.store import ArticleStore, SourceInfo
from monitor.dedupe import stories
from monitor.dedupe.index import StoryIndex
from monitor.dedupe.signature import NUM_PERM, Signature, signature


def stored(tmp_path: Path, n: int):
    engine = connect(f"sqlite:///{tmp_path / 'm.db'}")
    store = ArticleStore(engine, batch_size=100)
    source_id = store.source_id(SourceInfo("w", "W", "feed"))
    texts = [" ".join(f"w{k}x{i}" for i in range(120)) for k in range(n)]
    for k, text in enumerate(texts):
        store.add({"id": store.new_id(), "source_id": source_id, "url": f"https://w.eu/{k}",
                   "canonical_url": f"https://w.eu/{k}", "content_hash": f"h{k}", "title": "T", "authors": [],
                   "published": None, "fetched": datetime.now(timezone.utc), "language": "en", "text": text,
                   "topics": [], "signature": signature(text).to_bytes()})
    store.flush()
    return engine, texts


def test_a_load_that_failed_halfway_is_retried_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first batches stay in the index after a dropped connection: the retry must not trip over them."""
    engine, texts = stored(tmp_path, 6)
    monkeypatch.setattr(stories, "LOAD_BATCH", 2)
    selects = {"n": 0}

    @event.listens_for(engine, "before_cursor_execute")
    def drop_second_batch(conn, cursor, statement, parameters, context, executemany) -> None:
        if "FROM article_signatures" in statement and "ORDER BY" in statement:
            selects["n"] += 1
            if selects["n"] == 2:
                raise OperationalError(statement, parameters, Exception("server closed the connection"))

    resolver = stories.StoryResolver(engine, capacity=None)
    with pytest.raises(OperationalError):
        resolver.ensure_loaded()
    assert not resolver.loaded and len(resolver.index) == 2
    resolver.ensure_loaded()
    assert resolver.loaded and len(resolver.index) == 6
    copy = resolver.assign(99, texts[4] + " and one more sentence at the end of it")
    assert copy.duplicate_of is not None


def test_rows_fetched_past_capacity_grow_the_arrays_geometrically() -> None:
    """A shared index appends signatures fetched from Redis beyond its capacity: not one copy per row."""
    rng = np.random.default_rng(3)
    hashes = rng.integers(0, 2**32, size=(40, NUM_PERM), dtype=np.uint32)
    fetched = {100 + k: Signature(hashes[20 + k], 300) for k in range(20)}
    index = StoryIndex(capacity=8, lookup=lambda ids: [(i, fetched[i], i) for i in ids if i in fetched])
    for k in range(9):
        index.add(k, Signature(hashes[k], 300))
    assert index._ids.shape[0] == 9  # grown no further than eviction needs
    shapes = set()
    for article_id in fetched:
        index._rows_for([article_id])
        shapes.add(index._ids.shape[0])
    assert all(article_id in index for article_id in fetched) and sorted(shapes) == [9, 1024]  # one reallocation
