"""``RedisBandStore``: the story index's LSH bands in Redis, shared by every crawler process.

Implements ``monitor.dedupe.store.BandStore``. Each (band, key) pair is one Redis
string holding the ids of the articles that produced it, packed as little-endian
int64 and grown with ``APPEND``; a query is one ``MGET`` of the signature's band
keys. Appends are atomic, so concurrent workers never lose each other's ids.
Cost: ``bands`` small strings per article (about 64 x 100 bytes with the default
64 bands), so every key expires ``BAND_TTL`` after its last append: Redis holds the
bands of about the last week's articles, as the signatures next to them
(``monitor.distributed.stories``), not of the whole archive. A copy of an article
older than that starts a story of its own, as one older than a single process's
index window does. ``len`` counts the articles ever added.
"""

from __future__ import annotations

from typing import Any

import numpy as np

BULK_CHUNK = 1000  # articles per pipeline in add_many
BAND_TTL = 7 * 24 * 3600  # seconds a band key outlives its newest article


class RedisBandStore:
    """A ``BandStore`` in Redis under ``{prefix}:band:``."""

    def __init__(self, redis: Any, prefix: str, bands: int) -> None:
        if not isinstance(bands, int) or not 1 <= bands <= 1024:
            raise ValueError(f"RedisBandStore: bands must be an int in 1..1024, got {bands!r}")
        self.redis = redis
        self.prefix = prefix
        self._bands = bands
        self._count_key = f"{prefix}:band:count"

    @property
    def bands(self) -> int:
        return self._bands

    def __len__(self) -> int:
        return int(self.redis.get(self._count_key) or 0)

    def _keys(self, keys: np.ndarray) -> list[str]:
        keys = np.asarray(keys, dtype=np.uint32)
        if keys.shape != (self._bands,):
            raise ValueError(f"RedisBandStore: expected {self._bands} band keys, got shape {keys.shape}")
        return [f"{self.prefix}:band:{band}:{int(key):08x}" for band, key in enumerate(keys.tolist())]

    def add(self, article_id: int, keys: np.ndarray) -> None:
        packed = np.int64(article_id).astype("<i8").tobytes()
        pipe = self.redis.pipeline(transaction=False)
        for name in self._keys(keys):
            pipe.append(name, packed)
            pipe.expire(name, BAND_TTL)
        pipe.incr(self._count_key)
        pipe.execute()

    def add_many(self, article_ids: np.ndarray, keys: np.ndarray) -> None:
        ids = np.asarray(article_ids, dtype=np.int64)
        keys = np.asarray(keys)
        if keys.ndim != 2 or keys.shape[0] != ids.shape[0]:
            raise ValueError(f"RedisBandStore.add_many: keys shape {keys.shape} does not fit {ids.shape[0]} ids")
        for start in range(0, ids.shape[0], BULK_CHUNK):
            pipe = self.redis.pipeline(transaction=False)
            for article_id, row in zip(ids[start:start + BULK_CHUNK].tolist(), keys[start:start + BULK_CHUNK]):
                packed = np.int64(article_id).astype("<i8").tobytes()
                for name in self._keys(row):
                    pipe.append(name, packed)
                    pipe.expire(name, BAND_TTL)
            pipe.incrby(self._count_key, len(ids[start:start + BULK_CHUNK]))
            pipe.execute()

    def candidates(self, keys: np.ndarray) -> np.ndarray:
        values = self.redis.mget(self._keys(keys))
        found = [np.frombuffer(value, dtype="<i8") for value in values if value]
        if not found:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(found)).astype(np.int64)
