"""The story index's longest single step: the shipped band store against one sorted array.

Every stored article passes through ``StoryIndex.query_and_add`` on the crawler's
reactor thread, so the dearest call is a pause in every download. This feeds
``--articles`` random signatures through an index of ``--capacity`` (past it, so the
oldest quarter is forgotten at least once), once with the shipped
``InMemoryBandStore`` (one sorted array, merged into in a background thread) and once with
the single sorted array it replaced (the baseline, kept below), in the same run.
Prints, per store, the CPU time of one call on the calling thread: median, 99.9th
percentile, the longest and at which article, how many took over 50 and over 100 ms;
the longest in wall time (which would include waiting for the GIL held by the
shipped store's merge thread); the sorted runs still waiting for a merge at the end
(calls come far faster here than in a crawl, so merges lag); and the mean lookup
alone (``candidates``) once merges have settled.

    .venv/bin/python bench/story_index.py [--quick] [--articles N] [--capacity N] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.dedupe.index import DEFAULT_BANDS, DEFAULT_ROWS, StoryIndex, band_keys  # noqa: E402
from monitor.dedupe.signature import NUM_PERM, Signature  # noqa: E402
from monitor.dedupe.store import InMemoryBandStore  # noqa: E402


class OneArrayBandStore:
    """The band store before session 19: one sorted array, a 4,096-article buffer merged into it."""

    def __init__(self, bands: int, buffer_size: int = 4096) -> None:
        self._bands = bands
        key_bits = 32 - max(1, (bands - 1).bit_length())
        self._mask = np.uint32((1 << key_bits) - 1)
        self._prefix = (np.arange(bands, dtype=np.uint32) << np.uint32(key_bits)).astype(np.uint32)
        self._keys = np.empty(0, dtype=np.uint32)
        self._ids = np.empty(0, dtype=np.int64)
        self._buf_keys = np.empty((buffer_size, bands), dtype=np.uint32)
        self._buf_ids = np.empty(buffer_size, dtype=np.int64)
        self._buffered = self._count = 0

    @property
    def bands(self) -> int:
        return self._bands

    def __len__(self) -> int:
        return self._count

    def add(self, article_id: int, keys: np.ndarray) -> None:
        if self._buffered == len(self._buf_ids):
            self._merge()
        self._buf_keys[self._buffered] = (keys & self._mask) | self._prefix
        self._buf_ids[self._buffered] = article_id
        self._buffered += 1
        self._count += 1

    def add_many(self, article_ids: np.ndarray, keys: np.ndarray) -> None:
        for article_id, row in zip(article_ids.tolist(), keys):
            self.add(article_id, row)

    def discard(self, article_ids: np.ndarray) -> None:
        self._merge()
        keep = ~np.isin(self._ids, article_ids)
        self._count -= int(keep.size - np.count_nonzero(keep)) // self._bands
        self._keys, self._ids = self._keys[keep], self._ids[keep]

    def candidates(self, keys: np.ndarray) -> np.ndarray:
        composite = (keys & self._mask) | self._prefix
        found = []
        lo = np.searchsorted(self._keys, composite, side="left")
        hi = np.searchsorted(self._keys, composite, side="right")
        for start, stop in zip(lo[hi > lo].tolist(), hi[hi > lo].tolist()):
            found.append(self._ids[start:stop])
        hit = (self._buf_keys[: self._buffered] == composite).any(axis=1)
        found.append(self._buf_ids[: self._buffered][hit])
        return np.unique(np.concatenate(found))

    def _merge(self) -> None:
        n = self._buffered
        if not n:
            return
        keys, ids = self._buf_keys[:n].ravel(), np.repeat(self._buf_ids[:n], self._bands)
        order = np.argsort(keys)
        keys, ids = keys[order], ids[order]
        new_at = np.searchsorted(self._keys, keys, side="right") + np.arange(keys.size)
        old_at = np.ones(self._keys.size + keys.size, dtype=bool)
        old_at[new_at] = False
        merged_keys, merged_ids = np.empty(old_at.size, dtype=np.uint32), np.empty(old_at.size, dtype=np.int64)
        merged_keys[new_at], merged_keys[old_at] = keys, self._keys
        merged_ids[new_at], merged_ids[old_at] = ids, self._ids
        self._keys, self._ids = merged_keys, merged_ids
        self._buffered = 0


def run(store: object, hashes: np.ndarray, capacity: int) -> dict[str, object]:
    """``query_and_add`` every signature in order; CPU ms of each call."""
    index = StoryIndex(capacity=capacity, store=store)  # type: ignore[arg-type]
    times, walls = np.empty(len(hashes)), np.empty(len(hashes))
    for i, row in enumerate(hashes):
        sig = Signature(row, 300)
        started, started_wall = time.thread_time(), time.perf_counter()
        index.query_and_add(i, sig)
        times[i] = (time.thread_time() - started) * 1000
        walls[i] = (time.perf_counter() - started_wall) * 1000
    runs_left = getattr(store, "runs", 0)
    getattr(store, "settle", lambda: None)()
    probes = hashes[: min(2000, len(hashes))]
    started = time.thread_time()
    for row in probes:
        index._store.candidates(band_keys(row, DEFAULT_BANDS, DEFAULT_ROWS))
    lookup_us = (time.thread_time() - started) / len(probes) * 1e6
    longest = int(np.argmax(times))
    return {
        "median_ms": round(statistics.median(times.tolist()), 3),
        "p999_ms": round(float(np.percentile(times, 99.9)), 2),
        "max_ms": round(float(times[longest]), 1),
        "max_at_article": longest,
        "over_50ms": int(np.count_nonzero(times > 50)),
        "over_100ms": int(np.count_nonzero(times > 100)),
        "wall_max_ms": round(float(walls.max()), 1),
        "runs_left": runs_left,
        "lookup_us": round(lookup_us, 1),
        "held": len(index),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20,000-article index, 30,000 articles")
    parser.add_argument("--articles", type=int, default=130_000)
    parser.add_argument("--capacity", type=int, default=100_000, help="the index's size (shipped default 100,000)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.articles, args.capacity = 30_000, 20_000
    hashes = np.random.default_rng(19).integers(0, 2**32, size=(args.articles, NUM_PERM), dtype=np.uint32)
    results = {
        "background merge (shipped)": run(InMemoryBandStore(DEFAULT_BANDS), hashes, args.capacity),
        "one sorted array (baseline)": run(OneArrayBandStore(DEFAULT_BANDS), hashes, args.capacity),
    }
    if args.json:
        print(json.dumps({"articles": args.articles, "capacity": args.capacity, "stores": results}, indent=2))
        return
    print(f"{args.articles:,} articles through a story index of {args.capacity:,} (CPU per query_and_add call)")
    header = ("store", "median ms", "p99.9 ms", "max ms (article)", ">50 ms", ">100 ms", "wall max ms",
              "runs at the end", "lookup µs (settled)")
    print(" | ".join(header))
    for name, r in results.items():
        print(f"{name} | {r['median_ms']} | {r['p999_ms']} | {r['max_ms']} ({r['max_at_article']:,}) | "
              f"{r['over_50ms']} | {r['over_100ms']} | {r['wall_max_ms']} | {r['runs_left']} | {r['lookup_us']}")
    base, shipped = results["one sorted array (baseline)"], results["background merge (shipped)"]
    print(f"longest call: baseline / shipped = {base['max_ms'] / max(shipped['max_ms'], 0.001):.1f}x; "
          f"lookup: shipped / baseline = {shipped['lookup_us'] / max(base['lookup_us'], 0.001):.1f}x")


if __name__ == "__main__":
    main()
