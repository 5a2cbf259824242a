"""Where LSH band keys live: a small protocol plus the default in-memory store.

The story index splits each signature into bands and asks its ``BandStore`` which
articles share at least one band key.  Keeping that behind a protocol lets a
Redis-backed store (one set per band key, shared by several crawler processes) replace
the in-memory one without touching the index.

``InMemoryBandStore`` keeps one sorted ``uint32`` array of composite keys (band number
in the top bits, band hash below) with the article ids alongside: 8 bytes per band per
article (12 once an id exceeds 2**31) and one vectorized binary search per query.  New entries go to a small unsorted
buffer that is scanned linearly and merged into the sorted arrays when full.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["BandStore", "InMemoryBandStore"]

_INT32_MAX = 2**31 - 1


@runtime_checkable
class BandStore(Protocol):
    """Maps (band number, band key) to the ids of the articles that produced it."""

    @property
    def bands(self) -> int:
        """Number of bands per signature (length of every ``keys`` row)."""
        ...

    def add(self, article_id: int, keys: np.ndarray) -> None:
        """Record one article: ``keys`` is a ``uint32`` array of shape ``(bands,)``."""
        ...

    def add_many(self, article_ids: np.ndarray, keys: np.ndarray) -> None:
        """Record many articles at once: ids shape ``(n,)``, keys shape ``(n, bands)``."""
        ...

    def candidates(self, keys: np.ndarray) -> np.ndarray:
        """Unique ids (``int64``) of articles sharing at least one band key with ``keys``."""
        ...

    def __len__(self) -> int:
        """Number of articles recorded."""
        ...


class InMemoryBandStore:
    """Process-local ``BandStore``: sorted composite-key array + a small append buffer."""

    def __init__(self, bands: int, buffer_size: int = 4096) -> None:
        if not isinstance(bands, int) or not 1 <= bands <= 1024:
            raise ValueError(f"InMemoryBandStore: bands must be an int in 1..1024, got {bands!r}")
        if not isinstance(buffer_size, int) or buffer_size < 1:
            raise ValueError(f"InMemoryBandStore: buffer_size must be a positive int, got {buffer_size!r}")
        self._bands = bands
        band_bits = max(1, (bands - 1).bit_length())
        self._key_bits = 32 - band_bits
        self._key_mask = np.uint32((1 << self._key_bits) - 1)
        self._band_prefix = (np.arange(bands, dtype=np.uint32) << np.uint32(self._key_bits)).astype(np.uint32)
        self._keys = np.empty(0, dtype=np.uint32)  # sorted composite keys
        self._ids = np.empty(0, dtype=np.int32)  # widened to int64 by the first id that needs it
        self._buffer_size = buffer_size
        self._buf_keys = np.empty((buffer_size, bands), dtype=np.uint32)
        self._buf_ids = np.empty(buffer_size, dtype=np.int64)
        self._buffered = 0
        self._count = 0

    @property
    def bands(self) -> int:
        return self._bands

    def __len__(self) -> int:
        return self._count

    @property
    def nbytes(self) -> int:
        """Bytes held in numpy arrays (for memory reports)."""
        return self._keys.nbytes + self._ids.nbytes + self._buf_keys.nbytes + self._buf_ids.nbytes

    def _composite(self, keys: np.ndarray) -> np.ndarray:
        keys = np.asarray(keys)
        if keys.shape[-1] != self._bands:
            raise ValueError(f"InMemoryBandStore: expected {self._bands} band keys, got shape {keys.shape}")
        return (keys.astype(np.uint32, copy=False) & self._key_mask) | self._band_prefix

    def add(self, article_id: int, keys: np.ndarray) -> None:
        composite = self._composite(keys)
        if self._buffered == self._buffer_size:
            self._merge()
        self._buf_keys[self._buffered] = composite
        self._buf_ids[self._buffered] = article_id
        self._buffered += 1
        self._count += 1

    def add_many(self, article_ids: np.ndarray, keys: np.ndarray) -> None:
        ids = np.asarray(article_ids, dtype=np.int64)
        keys = np.asarray(keys)
        if keys.ndim != 2 or keys.shape[0] != ids.shape[0]:
            raise ValueError(f"InMemoryBandStore.add_many: keys shape {keys.shape} does not fit {ids.shape[0]} ids")
        self._merge()
        self._insert_sorted(self._composite(keys).ravel(), np.repeat(ids, self._bands))
        self._count += ids.shape[0]

    def discard(self, article_ids: np.ndarray) -> None:
        """Forget these articles' band keys (the story index dropping its oldest when full)."""
        ids = np.asarray(article_ids, dtype=np.int64)
        if not ids.size:
            return
        self._merge()
        keep = ~np.isin(self._ids, ids)
        self._count -= int(keep.size - np.count_nonzero(keep)) // self._bands
        self._keys, self._ids = self._keys[keep], self._ids[keep]

    def candidates(self, keys: np.ndarray) -> np.ndarray:
        composite = self._composite(keys)
        found: list[np.ndarray] = []
        if self._keys.size:
            lo = np.searchsorted(self._keys, composite, side="left")
            hi = np.searchsorted(self._keys, composite, side="right")
            for start, stop in zip(lo[hi > lo].tolist(), hi[hi > lo].tolist()):
                found.append(self._ids[start:stop].astype(np.int64))
        if self._buffered:
            hit = (self._buf_keys[: self._buffered] == composite).any(axis=1)
            if hit.any():
                found.append(self._buf_ids[: self._buffered][hit])
        if not found:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(found))

    def _merge(self) -> None:
        if not self._buffered:
            return
        n = self._buffered
        self._insert_sorted(self._buf_keys[:n].ravel(), np.repeat(self._buf_ids[:n], self._bands))
        self._buffered = 0

    def _insert_sorted(self, keys: np.ndarray, ids: np.ndarray) -> None:
        """Merge new entries into the sorted arrays in O(n + m) (no re-sort of the old ones)."""
        order = np.argsort(keys)
        keys, ids = keys[order], ids[order]
        ids_dtype = self._ids_dtype_for(ids)
        if not self._keys.size:
            self._keys, self._ids = keys, ids.astype(ids_dtype)
            return
        new_at = np.searchsorted(self._keys, keys, side="right") + np.arange(keys.size)
        old_at = np.ones(self._keys.size + keys.size, dtype=bool)
        old_at[new_at] = False
        merged_keys = np.empty(old_at.size, dtype=np.uint32)
        merged_ids = np.empty(old_at.size, dtype=ids_dtype)
        merged_keys[new_at], merged_keys[old_at] = keys, self._keys
        merged_ids[new_at], merged_ids[old_at] = ids, self._ids
        self._keys, self._ids = merged_keys, merged_ids

    def _ids_dtype_for(self, ids: np.ndarray) -> type:
        """int32 ids (4 bytes per band entry) until an id needs more, then int64 for good."""
        if self._ids.dtype == np.int32 and ids.size and (ids.max() > _INT32_MAX or ids.min() < -_INT32_MAX):
            return np.int64
        return self._ids.dtype.type
