"""Story clustering: find the earlier article a new one copies, and remember the new one.

``StoryIndex`` holds the signatures of stored articles and an LSH band index over them
(``BandStore``).  A query looks up articles sharing a band, then verifies each candidate
with the overlap estimate from the full signatures (``signature.overlap``), so the band
index only has to be generous, never exact.

Stories: every stored article belongs to one story whose id is its earliest article (the
original).  A match names the story's original, so ``duplicate_of`` never chains through
other copies, and the earliest article stays the original however many copies follow.

Rebuilding on start: feed ``extend`` with ``(article_id, signature bytes, story_id)``
from the database in insertion order.  Not thread-safe; use it from one thread.

Bounded: with a ``capacity`` the index keeps only the newest articles (by insertion). When
it is full it forgets the oldest quarter at once, so memory stays flat however large the
database grows and the rebuild cost is spread over many additions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from monitor.dedupe.signature import NUM_PERM, Signature, overlap
from monitor.dedupe.store import BandStore, InMemoryBandStore

__all__ = ["Match", "StoryIndex", "DEFAULT_THRESHOLD", "DEFAULT_MIN_JACCARD", "DEFAULT_BANDS", "DEFAULT_ROWS"]

DEFAULT_THRESHOLD = 0.6  # estimated share of the shorter article's 4-word shingles found in the other
# Tuned with bench/dedupe.py on half A of the corpora (see docs in that file):
DEFAULT_MIN_JACCARD = 0.2  # below this the overlap estimate is too noisy (size ratio > 5 at full containment)
DEFAULT_MIN_SHARED = 40  # ~40 words of running text must be shared: an unrecognized site blurb is not a story
DEFAULT_BANDS = 64
DEFAULT_CAPACITY = 100_000  # ~1.2 KB each: ~120 MB; a week of a few hundred outlets
DEFAULT_ROWS = 2  # 64 bands x 2 rows: candidate probability 0.93 at Jaccard 0.2, 0.99 at 0.27, 0.9995 at 0.35
_MIX = np.uint64(0x9E3779B97F4A7C15)

# Fetches (article_id, signature, story_id) for candidate ids this process has not seen
# (another crawler process added them to a shared band store).
SignatureLookup = Callable[[Sequence[int]], Iterable[tuple[int, Signature, int]]]


@dataclass(frozen=True)
class Match:
    """An earlier story the queried article belongs to.

    ``article_id`` is the story's original (earliest article): store it as ``duplicate_of``.
    ``similarity`` is the estimated overlap (0..1, relative to the shorter text) with the
    closest stored member of that story, ``closest_id``.
    """

    article_id: int
    similarity: float
    closest_id: int | None = None


def band_keys(hashes: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """``uint32`` key per band for one signature (shape ``(P,)``) or many (``(n, P)``)."""
    h = np.asarray(hashes)[..., : bands * rows].astype(np.uint64)
    h = h.reshape(*h.shape[:-1], bands, rows)
    acc = np.zeros(h.shape[:-1], dtype=np.uint64)
    for r in range(rows):
        acc = (acc ^ h[..., r]) * _MIX
    return (acc >> np.uint64(32)).astype(np.uint32)


class StoryIndex:
    """Near-duplicate index of article signatures grouped into stories."""

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        store: BandStore | None = None,
        *,
        rows: int = DEFAULT_ROWS,
        min_jaccard: float = DEFAULT_MIN_JACCARD,
        min_shared: int = DEFAULT_MIN_SHARED,
        lookup: SignatureLookup | None = None,
        capacity: int | None = None,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"StoryIndex: threshold must be in (0, 1], got {threshold!r}")
        if not 0.0 <= min_jaccard <= 1.0:
            raise ValueError(f"StoryIndex: min_jaccard must be in [0, 1], got {min_jaccard!r}")
        self._store: BandStore = store if store is not None else InMemoryBandStore(DEFAULT_BANDS)
        if not isinstance(rows, int) or rows < 1 or self._store.bands * rows > NUM_PERM:
            raise ValueError(f"StoryIndex: {self._store.bands} bands x {rows} rows exceeds {NUM_PERM} hashes")
        if capacity is not None and (not isinstance(capacity, int) or capacity < 4):
            raise ValueError(f"StoryIndex: capacity must be an int of at least 4 (or None), got {capacity!r}")
        self.capacity = capacity
        self.threshold = threshold
        self.min_jaccard = min_jaccard
        self.min_shared = min_shared
        self._rows_per_band = rows
        self._lookup = lookup
        # article id -> its position counted from the first ever added; its row is that minus _base
        self._row: dict[int, int] = {}
        self._base = 0
        self._n = 0
        self._hashes = np.empty((0, NUM_PERM), dtype=np.uint32)
        self._sizes = np.empty(0, dtype=np.uint32)
        self._ids = np.empty(0, dtype=np.int64)
        self._story = np.empty(0, dtype=np.int64)

    # -- sizes -----------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._row

    @property
    def nbytes(self) -> int:
        """Approximate bytes held (signature arrays, id map, in-memory band store)."""
        arrays = self._hashes.nbytes + self._sizes.nbytes + self._ids.nbytes + self._story.nbytes
        id_map = len(self._row) * 100  # dict slot + two int objects, measured ~100 B/entry
        return arrays + id_map + int(getattr(self._store, "nbytes", 0))

    def story_of(self, article_id: int) -> int:
        """Story id (original's article id) of a stored article; ``KeyError`` if unknown."""
        return int(self._story[self._row[article_id] - self._base])

    # -- queries ---------------------------------------------------------------------
    def query(self, sig: Signature) -> Match | None:
        """Best existing story whose closest member overlaps ``sig`` by ``threshold`` or more."""
        hashes = self._check(sig)
        candidates = self._store.candidates(band_keys(hashes, self._store.bands, self._rows_per_band))
        if not candidates.size:
            return None
        rows = self._rows_for(candidates.tolist())
        if not rows:
            return None
        rows_arr = np.array(sorted(rows), dtype=np.int64)
        jaccard = np.count_nonzero(self._hashes[rows_arr] == hashes, axis=1) / NUM_PERM
        sizes = self._sizes[rows_arr]
        sims = overlap(jaccard, sizes, sig.size)
        shared = sims * np.minimum(sizes, sig.size)
        sims[(jaccard < self.min_jaccard) | (sims < self.threshold) | (shared < self.min_shared)] = -1.0
        best = int(np.argmax(sims))  # first maximum = earliest stored on ties
        if sims[best] < 0:
            return None
        row = int(rows_arr[best])
        return Match(int(self._story[row]), round(float(sims[best]), 4), int(self._ids[row]))

    def add(self, article_id: int, sig: Signature, story_id: int | None = None) -> None:
        """Store an article; ``story_id`` defaults to the article itself (a new original)."""
        hashes = self._check(sig)
        if article_id in self._row:
            raise ValueError(f"StoryIndex.add: article_id {article_id} is already stored")
        self._append(np.array([article_id]), hashes[None, :], np.array([sig.size]),
                     np.array([article_id if story_id is None else story_id]))
        self._store.add(int(article_id), band_keys(hashes, self._store.bands, self._rows_per_band))
        self._evict_if_full()

    def query_and_add(self, article_id: int, sig: Signature) -> Match | None:
        """``query`` then ``add`` into the matched story (or as a new original)."""
        match = self.query(sig)
        self.add(article_id, sig, story_id=match.article_id if match else None)
        return match

    # -- bulk loading ------------------------------------------------------------------
    def extend(self, items: Iterable[tuple[int, Signature | bytes, int | None]]) -> None:
        """Bulk ``add`` of ``(article_id, signature or its bytes, story_id or None)``, e.g. on start."""
        ids, hashes, sizes, stories = [], [], [], []
        for article_id, sig, story_id in items:
            if not isinstance(sig, Signature):
                sig = Signature.from_bytes(sig)
            ids.append(article_id)
            hashes.append(self._check(sig))
            sizes.append(sig.size)
            stories.append(article_id if story_id is None else story_id)
        if ids:
            self.add_arrays(np.array(ids), np.stack(hashes), np.array(sizes), np.array(stories))

    def add_arrays(self, article_ids: np.ndarray, hashes: np.ndarray, sizes: np.ndarray,
                   story_ids: np.ndarray | None = None) -> None:
        """Vectorized bulk add: ids ``(n,)``, hashes ``(n, NUM_PERM)`` uint32, sizes ``(n,)``."""
        ids = np.asarray(article_ids, dtype=np.int64)
        hashes = np.asarray(hashes)
        if hashes.shape != (ids.shape[0], NUM_PERM) or np.shape(sizes) != ids.shape:
            raise ValueError(f"StoryIndex.add_arrays: shapes ids {ids.shape}, hashes {hashes.shape}, "
                             f"sizes {np.shape(sizes)} do not fit (n,), (n, {NUM_PERM}), (n,)")
        if len(set(ids.tolist())) != ids.shape[0] or any(i in self._row for i in ids.tolist()):
            raise ValueError("StoryIndex.add_arrays: article ids repeat or are already stored")
        stories = ids if story_ids is None else np.asarray(story_ids, dtype=np.int64)
        self._append(ids, hashes.astype(np.uint32, copy=False), np.asarray(sizes), stories)
        keys = np.concatenate([band_keys(chunk, self._store.bands, self._rows_per_band)
                               for chunk in np.array_split(hashes, max(1, ids.shape[0] // 65536))])
        self._store.add_many(ids, keys)
        self._evict_if_full()

    # -- internals ---------------------------------------------------------------------
    @staticmethod
    def _check(sig: Signature) -> np.ndarray:
        if not isinstance(sig, Signature):
            raise TypeError(f"StoryIndex: expected a Signature, got {type(sig).__name__}")
        if sig.hashes.size != NUM_PERM:
            raise ValueError(f"StoryIndex: signature has {sig.hashes.size} hashes, the index uses {NUM_PERM}")
        return sig.hashes

    def _rows_for(self, candidate_ids: list[int]) -> list[int]:
        base = self._base
        rows = [self._row[i] - base for i in candidate_ids if i in self._row]
        if self._lookup is not None and len(rows) < len(candidate_ids):
            missing = [i for i in candidate_ids if i not in self._row]
            for article_id, sig, story_id in self._lookup(missing):
                if article_id not in self._row:  # cached locally, not re-added to the shared store
                    self._append(np.array([article_id]), self._check(sig)[None, :], np.array([sig.size]),
                                 np.array([story_id]))
                    rows.append(self._row[article_id] - self._base)
        return rows

    def _evict_if_full(self) -> None:
        """Past ``capacity``, keep the newest three quarters of it (not called mid-query: rows shift)."""
        if self.capacity is None or self._n <= self.capacity:
            return
        drop = self._n - self.capacity * 3 // 4
        forgotten = self._ids[:drop].copy()
        kept = self._n - drop
        # shifted within the arrays and the id map left as it is (positions minus _base): a new
        # 50 MB array and a rebuilt map cost ~30 ms more of the reactor every quarter of capacity
        for array in (self._hashes, self._sizes, self._ids, self._story):
            for start in range(0, kept, drop):  # blocks of ``drop`` rows never overlap their source
                stop = min(start + drop, kept)
                array[start:stop] = array[start + drop:stop + drop]
        for article_id in forgotten.tolist():
            del self._row[article_id]
        self._base += drop
        self._n = kept
        discard = getattr(self._store, "discard", None)
        if discard is not None:  # a shared (Redis) store keeps them: other workers still match against it
            discard(forgotten)

    def _append(self, ids: np.ndarray, hashes: np.ndarray, sizes: np.ndarray, stories: np.ndarray) -> None:
        n, m = self._n, ids.shape[0]
        if n + m > self._ids.shape[0]:
            capacity = max(1024, n + m, int(self._ids.shape[0] * 1.5))
            if self.capacity is not None and n + m <= self.capacity + 1:  # no further than eviction needs
                capacity = min(capacity, self.capacity + 1)  # (rows fetched from Redis may go past it)
            self._hashes = _grow(self._hashes, capacity)
            self._sizes = _grow(self._sizes, capacity)
            self._ids = _grow(self._ids, capacity)
            self._story = _grow(self._story, capacity)
        self._hashes[n : n + m] = hashes
        self._sizes[n : n + m] = sizes
        self._ids[n : n + m] = ids
        self._story[n : n + m] = stories
        self._row.update(zip(ids.tolist(), range(self._base + n, self._base + n + m)))
        self._n = n + m


def _grow(array: np.ndarray, capacity: int) -> np.ndarray:
    grown = np.empty((capacity, *array.shape[1:]), dtype=array.dtype)
    grown[: array.shape[0]] = array
    return grown
