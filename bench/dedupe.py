"""Benchmark the story deduplication: accuracy on a syndication set, and index speed.

Accuracy.  Article bodies come from the shared corpora (fundus ``body_text``, the
article-extraction-benchmark ``articleBody``, trafilatura-eval pages extracted with
trafilatura).  Sites are split in two halves by a hash of their name: half A is where
the threshold was tuned, half B was not looked at while tuning.  Every original carries
its site's furniture (recognizable boilerplate plus an "about us" blurb that
``strip_boilerplate`` cannot know), so articles of one site share text.  Originals are
streamed through ``StoryIndex.query_and_add`` first, then realistic copies (new
headline, syndicator furniture, cut ending, inserted paragraph, typography changes,
all combined) and "fresh" stories (unindexed articles, some quoting one paragraph of an
indexed article of the same site).  Scored: a copy must join its original's story; an
original or a fresh story must not join any story.

Speed.  1,000,000 synthetic signatures (random MinHash values, 5 % near-copies) are
bulk-loaded; then ``query_and_add`` is timed for new and copied signatures, side by side
with a numpy linear scan over 10,000 signatures.

Run: ``python bench/dedupe.py [--quick] [--json] [--threshold T]``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import resource
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.dedupe import Signature, StoryIndex, signature  # noqa: E402
from monitor.dedupe.index import DEFAULT_THRESHOLD  # noqa: E402
from monitor.dedupe.signature import NUM_PERM, overlap, shingles, similarity  # noqa: E402

CORPORA = Path(os.environ.get("MONITOR_CORPORA", "/work/shared/corpora"))
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "monitor" / "bench_dedupe_trafilatura.json"


@dataclass
class Doc:
    source: str
    site: str
    text: str
    paragraphs: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", self.text) if p.strip()]


# --------------------------------------------------------------------------- corpora
def load_fundus() -> list[Doc]:
    rows = [json.loads(line) for line in (CORPORA / "fundus-parser-testdata/index.jsonl").open()]
    return [Doc("fundus", r["publisher"], r["body_text"]) for r in rows if r.get("body_text")]


def load_aeb() -> list[Doc]:
    truth = json.loads((CORPORA / "article-extraction-benchmark/ground-truth.json").read_text())
    return [Doc("aeb", urlsplit(v["url"]).hostname or "?", v["articleBody"]) for v in truth.values()]


def _archived_host(url: str) -> str:
    inner = re.search(r"/web/\d+[a-z_]*/(https?://.+)$", url)
    return urlsplit(inner.group(1) if inner else url).hostname or "?"


def load_trafilatura(allow_extract: bool) -> list[Doc]:
    meta = json.loads((CORPORA / "trafilatura-eval/evaldata.json").read_text())
    cached: dict[str, str] = json.loads(CACHE.read_text()) if CACHE.exists() else {}
    if not allow_extract and not cached:
        return []
    import trafilatura

    changed = False
    docs = []
    for url, entry in meta.items():
        if url not in cached:
            if not allow_extract:
                continue
            html = gzip.open(CORPORA / "trafilatura-eval/html" / (entry["file"] + ".gz")).read()
            cached[url] = trafilatura.extract(html.decode("utf-8", "replace"), url=url) or ""
            changed = True
        if cached[url]:
            docs.append(Doc("trafilatura", _archived_host(url), cached[url]))
    if changed:
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(json.dumps(cached))
    return docs


def drop_corpus_duplicates(docs: list[Doc]) -> tuple[list[Doc], int]:
    """Remove articles the corpora hold twice (e.g. one story crawled on two dates): exact
    4-word-shingle overlap >= 0.8 of the shorter, checked for pairs the MinHash flags."""
    sigs = [signature(d.text) for d in docs]
    sets = [shingles(d.text) for d in docs]
    dropped: set[int] = set()
    for i, a in enumerate(sigs):
        for j in range(i + 1, len(docs)):
            b = sigs[j]
            if a is None or b is None or j in dropped or similarity(a, b) < 0.3:
                continue
            if len(sets[i] & sets[j]) >= 0.8 * min(len(sets[i]), len(sets[j])):
                dropped.add(j)
    return [d for k, d in enumerate(docs) if k not in dropped], len(dropped)


def half_of(site: str) -> str:
    return "A" if hashlib.blake2b(site.encode(), digest_size=2).digest()[0] % 2 == 0 else "B"


# --------------------------------------------------------------------------- edits
NAMES = ["Jane Doe", "Jean Dupont", "Anna Schmidt", "Marco Rossi", "Piet de Vries", "Ana Garcia", "Jan Kowalski"]


def site_furniture(site: str, rng: random.Random, other_headline: str) -> tuple[str, str]:
    """Header and footer a site puts around every article (partly unrecognizable)."""
    header = "\n".join([
        f"By {rng.choice(NAMES)}",
        f"Published: {rng.randint(1, 28)} March 2024, {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
        "Share this article",
    ])
    blurb = (f"{site} is an independent newsroom covering politics, business, technology and culture for readers "
             f"across the region since 1998. Support our journalism and get the morning briefing in your inbox.")
    footer = "\n".join([
        f"Read also: {other_headline}",
        blurb,
        f"© 2024 {site}. All rights reserved.",
        "We use cookies to improve your experience. By continuing you accept our cookie policy.",
        "Follow us on Facebook and X",
    ])
    return header, footer


def headline_of(doc: Doc) -> str:
    words = doc.paragraphs[0].split()[:10]
    return " ".join(words).rstrip(".,:;")


def retype(text: str, rng: random.Random) -> str:
    """Typography-only copy: curly quotes, dashes, doubled spaces, different line breaks."""
    text = text.replace('"', "\u201c").replace("'", "\u2019").replace(" - ", " \u2013 ")
    text = re.sub(r" ", lambda m: "  " if rng.random() < 0.05 else " ", text)
    return text.replace("\n\n", "\n").replace(". ", ".\n", 3)


def cut_ending(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Keep 40-90 % of the words, cut at a paragraph (or sentence) boundary."""
    units = paragraphs if len(paragraphs) >= 3 else re.split(r"(?<=[.!?])\s+", " ".join(paragraphs))
    total = sum(len(u.split()) for u in units)
    goal = total * rng.uniform(0.4, 0.9)
    kept, count = [], 0
    for unit in units:
        if kept and count + len(unit.split()) > goal:
            break
        kept.append(unit)
        count += len(unit.split())
    return kept


def make_copies(doc: Doc, rng: random.Random, donor: Doc, syndicator: str) -> dict[str, str]:
    paras = doc.paragraphs
    header, footer = site_furniture(syndicator, rng, headline_of(donor))
    new_head = f"{rng.choice(['Breaking:', 'Update:', 'Analysis:', ''])} {headline_of(donor)}".strip()
    body = "\n\n".join(paras)
    at = rng.randint(1, max(1, len(paras)))
    # The inserted paragraph: at most 60 words of another article (a box, an editor's note, context).
    extra = " ".join(donor.paragraphs[rng.randrange(len(donor.paragraphs))].split()[:60])
    return {
        "new_headline": new_head + "\n\n" + "\n\n".join(paras[1:] if len(paras) > 3 else paras),
        "furniture": header + "\n\n" + body + "\n\n" + footer,
        "cut_ending": "\n\n".join(cut_ending(paras, rng)),
        "inserted_paragraph": "\n\n".join(paras[:at] + [extra] + paras[at:]),
        "typography": retype(body, rng),
        "combined": new_head + "\n\n" + header + "\n\n" + "\n\n".join(cut_ending(paras, rng)) + "\n\n" + footer,
    }


# --------------------------------------------------------------------------- accuracy
@dataclass
class Item:
    kind: str  # original | copy:<edit> | fresh | quote
    sig: Signature
    story: int | None  # expected story (original id) or None for "must be new"


def build_items(docs: list[Doc], seed: int) -> tuple[list[Item], list[Item], list[tuple[Signature, Signature]]]:
    """Originals (with site furniture), then copies/fresh/quoting articles, plus same-site pairs."""
    rng = random.Random(seed)
    by_site: dict[str, list[Doc]] = {}
    for doc in docs:
        by_site.setdefault(doc.site, []).append(doc)
    sites = sorted(by_site)
    originals: list[Item] = []
    later: list[Item] = []
    placed: list[tuple[int, Doc, str]] = []  # (id, doc, furnished text)
    fresh: list[Doc] = []
    for site in sites:
        group = by_site[site]
        for doc in group:
            donor = rng.choice([d for d in group if d is not doc] or docs)
            header, footer = site_furniture(site, rng, headline_of(donor))
            text = header + "\n\n" + doc.text + "\n\n" + footer
            sig = signature(text)
            if sig is None or len(doc.paragraphs) < 1:
                continue
            roll = rng.random()
            if roll < 0.1:  # fresh story: never indexed as an original
                later.append(Item("fresh", sig, None))
                continue
            if roll < 0.2:  # fresh story that quotes an indexed one (built below)
                fresh.append(doc)
                continue
            placed.append((len(originals), doc, text))
            originals.append(Item("original", sig, len(originals)))
    for doc_id, doc, _ in placed:
        donor = rng.choice(docs)
        while donor is doc:
            donor = rng.choice(docs)
        syndicator = rng.choice(sites)
        for edit, text in make_copies(doc, rng, donor, syndicator).items():
            sig = signature(text)
            if sig is not None:
                later.append(Item("copy:" + edit, sig, doc_id))
    # Fresh articles quoting one short paragraph of an indexed article (same site when possible).
    for doc in fresh:
        same_site = [d for _, d, _ in placed if d.site == doc.site] or [d for _, d, _ in placed]
        quoted = rng.choice(same_site)
        quotable = [p for p in quoted.paragraphs if len(p.split()) <= 0.3 * len(quoted.text.split())]
        quotable = [p for p in quotable if len(p.split()) <= 0.3 * len(doc.text.split())]
        if quotable and len(doc.paragraphs) > 1:
            paras = doc.paragraphs[:]
            paras.insert(rng.randint(1, len(paras)), rng.choice(quotable))
            sig = signature("\n\n".join(paras))
            if sig is not None:
                later.append(Item("quote", sig, None))
    rng.shuffle(later)
    pairs = []
    for site in sites:
        sigs = [originals[i].sig for i, d, _ in placed if d.site == site]
        pairs += [(a, b) for k, a in enumerate(sigs) for b in sigs[k + 1 :]]
    return originals, later, pairs


def score(originals: list[Item], later: list[Item], threshold: float) -> dict:
    index = StoryIndex(threshold=threshold)
    tp = fp = fn = 0
    per_kind: dict[str, list[int]] = {}
    wrong: list[str] = []
    for i, item in enumerate(originals + later):
        match = index.query_and_add(i, item.sig)
        got = match.article_id if match else None
        if item.kind == "original":
            expected = None
        else:
            expected = item.story
        ok = got == expected
        per_kind.setdefault(item.kind, [0, 0])
        per_kind[item.kind][0] += ok
        per_kind[item.kind][1] += 1
        if expected is not None:
            tp += ok
            fn += not ok
        if got is not None and got != expected:
            fp += 1
            wrong.append(f"{item.kind} -> story {got} ({match.similarity:.2f}, sizes {item.sig.size} vs "
                         f"{index_size(index, match.closest_id)})")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "threshold": threshold, "precision": round(precision, 4), "recall": round(recall, 4),
        "tp": tp, "fp": fp, "fn": fn,
        "by_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(per_kind.items())},
        "false_matches": wrong[:10],
    }


def index_size(index: StoryIndex, article_id: int | None) -> int:
    return int(index._sizes[index._row[article_id]]) if article_id is not None else -1


def accuracy(docs: list[Doc], threshold: float, sweep: bool) -> dict:
    out: dict = {}
    for half in ("A", "B"):
        subset = [d for d in docs if half_of(d.site) == half]
        originals, later, pairs = build_items(subset, seed=7)
        result = score(originals, later, threshold)
        sims = [similarity(a, b) for a, b in pairs]
        result["docs"] = len(subset)
        result["sites"] = len({d.site for d in subset})
        result["same_site_unrelated_pairs"] = len(pairs)
        result["same_site_pairs_above_threshold"] = sum(s >= threshold for s in sims)
        result["same_site_pairs_max_similarity"] = round(max(sims), 3) if sims else None
        if sweep and half == "A":
            result["sweep"] = [
                {k: v for k, v in score(originals, later, t).items() if k in ("threshold", "precision", "recall")}
                for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
            ]
        out[half] = result
    return out


# --------------------------------------------------------------------------- speed
def synthetic(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    hashes = rng.integers(0, 2**32, size=(n, NUM_PERM), dtype=np.uint32)
    copies = rng.choice(n, size=n // 20, replace=False)
    copies = copies[copies > 0]
    sources = (copies * rng.random(copies.size)).astype(np.int64)  # an earlier signature
    keep = rng.random((copies.size, NUM_PERM)) < rng.uniform(0.5, 1.0, size=(copies.size, 1))
    hashes[copies] = np.where(keep, hashes[sources], hashes[copies])
    sizes = rng.integers(40, 3000, size=n).astype(np.uint32)
    return hashes, sizes


def query_mix(stored: np.ndarray, count: int, rng: np.random.Generator) -> list[Signature]:
    out = []
    for k in range(count):
        fresh = rng.integers(0, 2**32, size=NUM_PERM, dtype=np.uint32)
        if k % 2:  # half are copies of a stored signature (70 % of hashes kept)
            fresh = np.where(rng.random(NUM_PERM) < 0.7, stored[rng.integers(len(stored))], fresh)
        out.append(Signature(fresh, int(rng.integers(40, 3000))))
    return out


def percentiles(samples_ns: list[int]) -> dict:
    ms = sorted(s / 1e6 for s in samples_ns)
    return {"median_ms": round(statistics.median(ms), 4), "p99_ms": round(ms[int(0.99 * (len(ms) - 1))], 4),
            "max_ms": round(ms[-1], 3)}


class LinearScan:
    """Baseline: overlap against every stored signature, no LSH."""

    def __init__(self, hashes: np.ndarray, sizes: np.ndarray, threshold: float) -> None:
        self.hashes, self.sizes, self.threshold = hashes.copy(), sizes.copy(), threshold

    def query_and_add(self, sig: Signature) -> int | None:
        jac = np.count_nonzero(self.hashes == sig.hashes, axis=1) / NUM_PERM
        sims = overlap(jac, self.sizes, sig.size)
        best = int(np.argmax(sims))
        self.hashes = np.vstack([self.hashes, sig.hashes])
        self.sizes = np.append(self.sizes, sig.size)
        return best if sims[best] >= self.threshold else None


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def speed(n: int, queries: int, threshold: float) -> dict:
    rng = np.random.default_rng(42)
    before = rss_mb()
    index = StoryIndex(threshold=threshold)
    t0 = time.perf_counter()
    chunk = 100_000
    first = None
    for start in range(0, n, chunk):
        hashes, sizes = synthetic(min(chunk, n - start), rng)
        index.add_arrays(np.arange(start, start + len(sizes)), hashes, sizes)
        first = hashes if first is None else first
    load_s = time.perf_counter() - t0
    after = rss_mb()
    mix = query_mix(first, queries, rng)
    times, matched = [], 0
    for k, sig in enumerate(mix):
        t = time.perf_counter_ns()
        matched += index.query_and_add(n + k, sig) is not None
        times.append(time.perf_counter_ns() - t)
    small_h, small_s = synthetic(10_000, rng)
    scan = LinearScan(small_h, small_s, threshold)
    scan_times, scan_matched = [], 0
    for sig in query_mix(small_h, queries, rng):
        t = time.perf_counter_ns()
        scan_matched += scan.query_and_add(sig) is not None
        scan_times.append(time.perf_counter_ns() - t)
    return {
        "stored": n, "queries": queries, "bulk_load_s": round(load_s, 2),
        "lsh_query_and_add": percentiles(times), "lsh_matched": matched,
        "linear_scan_10k": percentiles(scan_times), "linear_matched": scan_matched,
        "rss_delta_mb": round(after - before, 1),
        "bytes_per_article_rss": round((after - before) * 2**20 / n),
        "bytes_per_article_counted": round(index.nbytes / len(index)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


# --------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100k stored signatures, no trafilatura extraction "
                        "unless cached")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args()

    t0 = time.perf_counter()
    docs = load_fundus() + load_aeb() + load_trafilatura(allow_extract=not args.quick)
    docs, duplicates = drop_corpus_duplicates(docs)
    report: dict = {"corpus_docs": len(docs), "corpus_duplicates_dropped": duplicates, "by_source": {}}
    for doc in docs:
        report["by_source"][doc.source] = report["by_source"].get(doc.source, 0) + 1
    report["accuracy"] = accuracy(docs, args.threshold, sweep=True)
    report["accuracy_s"] = round(time.perf_counter() - t0, 1)
    report["speed"] = speed(100_000 if args.quick else 1_000_000, 300 if args.quick else 1000, args.threshold)

    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"corpus: {report['corpus_docs']} docs {report['by_source']}, {report['corpus_duplicates_dropped']} "
          f"duplicate(s) inside the corpora dropped  ({report['accuracy_s']} s)")
    for half, res in report["accuracy"].items():
        tag = "tuned" if half == "A" else "held-out"
        print(f"half {half} ({tag}): {res['docs']} docs / {res['sites']} sites, threshold {res['threshold']}: "
              f"precision {res['precision']:.4f} recall {res['recall']:.4f} (tp {res['tp']} fp {res['fp']} "
              f"fn {res['fn']})")
        print(f"   by kind: {res['by_kind']}")
        print(f"   same-site unrelated pairs: {res['same_site_unrelated_pairs']}, above threshold "
              f"{res['same_site_pairs_above_threshold']}, max similarity {res['same_site_pairs_max_similarity']}")
        for line in res["false_matches"]:
            print(f"   false match: {line}")
        for row in res.get("sweep", []):
            print(f"   sweep t={row['threshold']}: precision {row['precision']:.4f} recall {row['recall']:.4f}")
    sp = report["speed"]
    print(f"speed: {sp['stored']:,} stored (bulk load {sp['bulk_load_s']} s), {sp['queries']} query+add: "
          f"LSH median {sp['lsh_query_and_add']['median_ms']} ms p99 {sp['lsh_query_and_add']['p99_ms']} ms "
          f"max {sp['lsh_query_and_add']['max_ms']} ms ({sp['lsh_matched']} matched)")
    print(f"   linear scan over 10,000: median {sp['linear_scan_10k']['median_ms']} ms "
          f"p99 {sp['linear_scan_10k']['p99_ms']} ms ({sp['linear_matched']} matched)")
    print(f"   memory: {sp['bytes_per_article_rss']} B/article (RSS delta {sp['rss_delta_mb']} MB), "
          f"{sp['bytes_per_article_counted']} B/article counted, peak RSS {sp['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
