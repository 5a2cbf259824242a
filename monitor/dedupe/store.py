"""Where LSH band keys live: a small protocol plus the default in-memory store.

The story index splits each signature into bands and asks its ``BandStore`` which
articles share at least one band key.  Keeping that behind a protocol lets a
Redis-backed store (one set per band key, shared by several crawler processes) replace
the in-memory one without touching the index.

``InMemoryBandStore`` keeps one sorted ``uint32`` array of composite keys (band number
in the top bits, band hash below) with the article ids alongside: 8 bytes per band per
article (12 once an id exceeds 2**31), and one vectorized binary search per query.  New
entries go to a small unsorted buffer that is scanned linearly; a full buffer becomes a
small sorted run, and a few runs are merged into the big array.

That merge runs in a background thread.  The store lives on the crawler's reactor
thread, and merging 4,096 articles into an array of 70,000 took ~60 ms there, forgetting
the oldest quarter at capacity ~270 ms: single steps that held every download
(``bench/story_index.py``).  numpy's sorting, searching and copying release the GIL, so
the thread leaves the reactor free; queries meanwhile search the old array and the runs,
and the merged array replaces them on the next call after it is done.  Forgotten
articles leave the array in that merge too; until then ``candidates`` filters them out.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
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


RUNS_BEFORE_MERGE = 8  # sorted runs of ``buffer_size`` articles searched beside the big array


class _Run:
    """Composite keys in sorted order with the article id of each."""

    __slots__ = ("keys", "ids")

    def __init__(self, keys: np.ndarray, ids: np.ndarray) -> None:
        self.keys, self.ids = keys, ids

    @classmethod
    def build(cls, keys: np.ndarray, articles: np.ndarray) -> "_Run":
        """A run from the ``(len(articles), bands)`` composite keys of these articles."""
        order = np.argsort(keys.ravel())
        ids = np.repeat(_narrowed(np.asarray(articles, dtype=np.int64)), keys.shape[1])[order]
        return cls(keys.ravel()[order], ids)

    def find(self, composite: np.ndarray) -> list[np.ndarray]:
        """The article ids of each entry whose key is in ``composite``: one binary search, a second on hits."""
        if not self.keys.size:
            return []
        lo = np.searchsorted(self.keys, composite, side="left")
        hit = lo < self.keys.size
        hit[hit] = self.keys[lo[hit]] == composite[hit]
        if not hit.any():
            return []
        hi = np.searchsorted(self.keys, composite[hit], side="right")
        return [self.ids[start:stop] for start, stop in zip(lo[hit].tolist(), hi.tolist())]

    @property
    def nbytes(self) -> int:
        return self.keys.nbytes + self.ids.nbytes


def _narrowed(ids: np.ndarray) -> np.ndarray:
    """int32 ids (4 bytes per band entry) when every id fits, else int64."""
    if ids.size and (ids.max() > _INT32_MAX or ids.min() < -_INT32_MAX):
        return ids.astype(np.int64, copy=False)
    return ids.astype(np.int32)


def _merged(base: _Run, runs: list[_Run], forgotten: np.ndarray) -> _Run:
    """``base`` with the runs' entries merged in and the forgotten articles' taken out: O(n + m)."""
    if len(runs) == 1:
        keys, ids = runs[0].keys, runs[0].ids
    elif runs:
        keys = np.concatenate([run.keys for run in runs])
        ids = np.concatenate([run.ids for run in runs])  # numpy widens int32 + int64 to int64
        order = np.argsort(keys)
        keys, ids = keys[order], ids[order]
    else:
        keys, ids = np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.int32)
    if not base.keys.size and not forgotten.size:
        return _Run(keys, ids)
    new_at = np.searchsorted(base.keys, keys, side="right") + np.arange(keys.size)
    old_at = np.ones(base.keys.size + keys.size, dtype=bool)
    old_at[new_at] = False
    merged_keys = np.empty(old_at.size, dtype=np.uint32)
    merged_ids = np.empty(old_at.size, dtype=np.promote_types(base.ids.dtype, ids.dtype))
    merged_keys[new_at], merged_keys[old_at] = keys, base.keys
    merged_ids[new_at], merged_ids[old_at] = ids, base.ids
    if forgotten.size:
        keep = ~np.isin(merged_ids, forgotten)
        merged_keys, merged_ids = merged_keys[keep], merged_ids[keep]
    return _Run(merged_keys, merged_ids)


class InMemoryBandStore:
    """Process-local ``BandStore``: one big sorted array, a few small sorted runs, an append buffer.

    Not thread-safe: call it from one thread. Its merges run in a thread of their own,
    on arrays nobody changes, and are swapped in by the calling thread.
    """

    def __init__(self, bands: int, buffer_size: int = 1024, *, background: bool = True) -> None:
        if not isinstance(bands, int) or not 1 <= bands <= 1024:
            raise ValueError(f"InMemoryBandStore: bands must be an int in 1..1024, got {bands!r}")
        if not isinstance(buffer_size, int) or buffer_size < 1:
            raise ValueError(f"InMemoryBandStore: buffer_size must be a positive int, got {buffer_size!r}")
        self._bands = bands
        band_bits = max(1, (bands - 1).bit_length())
        self._key_bits = 32 - band_bits
        self._key_mask = np.uint32((1 << self._key_bits) - 1)
        self._band_prefix = (np.arange(bands, dtype=np.uint32) << np.uint32(self._key_bits)).astype(np.uint32)
        self._base = _Run(np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.int32))
        self._runs: list[_Run] = []  # sorted runs not yet in the base, oldest first
        self._forgotten: list[np.ndarray] = []  # discarded ids still in the base or the runs
        self._forgotten_all = np.empty(0, dtype=np.int64)
        self._buffer_size = buffer_size
        self._buf_keys = np.empty((buffer_size, bands), dtype=np.uint32)
        self._buf_ids = np.empty(buffer_size, dtype=np.int64)
        self._buffered = 0
        self._count = 0
        self._background = background
        self._executor: ThreadPoolExecutor | None = None
        self._merging: tuple[Future[_Run], int, int] | None = None  # job, runs and forgotten it took

    @property
    def bands(self) -> int:
        return self._bands

    def __len__(self) -> int:
        return self._count

    @property
    def runs(self) -> int:
        """Sorted runs searched beside the big array (each costs one binary search per query)."""
        return len(self._runs)

    @property
    def nbytes(self) -> int:
        """Bytes held in numpy arrays (for memory reports)."""
        return (self._base.nbytes + sum(run.nbytes for run in self._runs) + self._buf_keys.nbytes
                + self._buf_ids.nbytes + self._forgotten_all.nbytes)

    def _composite(self, keys: np.ndarray) -> np.ndarray:
        keys = np.asarray(keys)
        if keys.shape[-1] != self._bands:
            raise ValueError(f"InMemoryBandStore: expected {self._bands} band keys, got shape {keys.shape}")
        return (keys.astype(np.uint32, copy=False) & self._key_mask) | self._band_prefix

    def add(self, article_id: int, keys: np.ndarray) -> None:
        composite = self._composite(keys)
        if self._buffered == self._buffer_size:
            self._flush()
        self._buf_keys[self._buffered] = composite
        self._buf_ids[self._buffered] = article_id
        self._buffered += 1
        self._count += 1

    def add_many(self, article_ids: np.ndarray, keys: np.ndarray) -> None:
        """Bulk load (e.g. on start): merged into the big array before it returns."""
        ids = np.asarray(article_ids, dtype=np.int64)
        keys = np.asarray(keys)
        if keys.ndim != 2 or keys.shape[0] != ids.shape[0]:
            raise ValueError(f"InMemoryBandStore.add_many: keys shape {keys.shape} does not fit {ids.shape[0]} ids")
        self._flush(merge=False)
        if ids.size:
            self._runs.append(_Run.build(self._composite(keys), ids))
        self._count += ids.shape[0]
        self.settle()

    def discard(self, article_ids: np.ndarray) -> None:
        """Forget these articles' band keys (the story index dropping its oldest when full).

        ``article_ids`` must be articles the store holds: ``len`` counts them out.
        """
        ids = np.unique(np.asarray(article_ids, dtype=np.int64))
        if not ids.size:
            return
        if self._buffered:
            stay = ~np.isin(self._buf_ids[: self._buffered], ids)
            n = int(np.count_nonzero(stay))
            ids = np.setdiff1d(ids, self._buf_ids[: self._buffered][~stay], assume_unique=True)
            self._buf_keys[:n] = self._buf_keys[: self._buffered][stay]
            self._buf_ids[:n] = self._buf_ids[: self._buffered][stay]
            self._count -= self._buffered - n
            self._buffered = n
            if not ids.size:
                return
        self._forgotten.append(ids)
        self._forgotten_all = np.unique(np.concatenate(self._forgotten))
        self._count -= ids.size
        self._start_merge(background=self._background)

    def candidates(self, keys: np.ndarray) -> np.ndarray:
        self._swap_if_merged()
        composite = self._composite(keys)
        found = self._base.find(composite)
        for run in self._runs:
            found.extend(run.find(composite))
        if self._buffered:
            hit = (self._buf_keys[: self._buffered] == composite).any(axis=1)
            if hit.any():
                found.append(self._buf_ids[: self._buffered][hit])
        if not found:
            return np.empty(0, dtype=np.int64)
        result = np.unique(np.concatenate(found).astype(np.int64, copy=False))
        forgotten = self._forgotten_all
        if forgotten.size:  # sorted: a binary search per candidate, not a sort of both per query
            at = np.minimum(np.searchsorted(forgotten, result), forgotten.size - 1)
            result = result[forgotten[at] != result]
        return result

    def settle(self) -> None:
        """Finish the merge under way, then merge what is left here (bulk loads, tests, benchmarks)."""
        while self._merging is not None:  # a swap may start the next merge (ids forgotten meanwhile)
            self._merging[0].result()
            self._swap_if_merged()
        self._start_merge(background=False)

    def _flush(self, *, merge: bool = True) -> None:
        """The buffer becomes a sorted run; enough runs start a merge."""
        if self._buffered:
            n = self._buffered
            self._runs.append(_Run.build(self._buf_keys[:n], self._buf_ids[:n].copy()))
            self._buffered = 0
        self._swap_if_merged()
        if merge and len(self._runs) >= RUNS_BEFORE_MERGE:
            self._start_merge(background=self._background)

    def _start_merge(self, *, background: bool) -> None:
        """Merge the runs and the forgotten ids taken so far into a new big array (unless one is under way)."""
        if self._merging is not None or not (self._runs or self._forgotten):
            return
        runs, forgotten = list(self._runs), self._forgotten_all
        if background:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="band-merge")
            job = self._executor.submit(_merged, self._base, runs, forgotten)
        else:
            job = Future()
            job.set_result(_merged(self._base, runs, forgotten))
        self._merging = (job, len(runs), len(self._forgotten))
        self._swap_if_merged()

    def _swap_if_merged(self) -> None:
        if self._merging is None or not self._merging[0].done():
            return
        job, runs_taken, forgotten_taken = self._merging
        self._merging = None
        self._base = job.result()
        del self._runs[:runs_taken]
        del self._forgotten[:forgotten_taken]
        self._forgotten_all = (np.unique(np.concatenate(self._forgotten)) if self._forgotten
                               else np.empty(0, dtype=np.int64))
        if self._forgotten:  # discarded while that merge ran: take them out now, not a few thousand adds later
            self._start_merge(background=self._background)
