"""Benchmark: alert inbox query (topic + language + last 7 days) and full-text search on N generated articles.

    .venv/bin/python bench/query.py [--quick] [--articles N] [--db URL]   (--db sqlite:////tmp/q.sqlite: generate once, reuse)

Prints p50/p95 per query and the database size per article. Targets on SQLite:
inbox p95 <= 50 ms, full text p95 <= 200 ms. Default 1,000,000 articles; --quick 100,000.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, text

from monitor.db import connect
from monitor.db.models import Article, ArticleTopic, Source
from monitor.search import Filters, search

TOPICS = ["nato", "nato-iraq-mission", "csdp", "sanctions", "ukraine", "eu-council", "migration", "energy"]
LANGS = ["en", "fr", "de", "es", "it", "nl", "pl"]

# A Zipf-like vocabulary (weight 1/rank over VOCABULARY words), as in real news text: a few function words
# occur in nearly every article, most words in few.  The domain words sit at fixed ranks; every other word is a
# pronounceable pseudo-word.  Each article also draws a fifth of its words from the cluster of its first topic
# (real articles about a subject repeat that subject's words), which is what makes phrases co-occur.
VOCABULARY = 5000
COMMON = "the of and to in a is for on that said with as by at".split()  # ranks 1..15: "hard" query words
DOMAIN_RANKS = {
    "defence": 40, "security": 45, "minister": 60, "union": 70, "policy": 80, "russia": 90, "ukraine": 95,
    "commission": 110, "nato": 120, "council": 150, "energy": 180, "sanctions": 200, "mission": 250,
    "army": 300, "otan": 350, "parlement": 400, "gas": 450, "border": 500, "migration": 550, "iraq": 600,
    "summit": 650, "drone": 700, "treaty": 750, "missile": 800, "irak": 900, "bruxelles": 1000,
    "européenne": 1200, "défense": 1300, "csdp": 1500, "eeas": 2000, "frontex": 2500, "straße": 3000,
    "północ": 4000,
}
CLUSTERS = {
    "nato": ["nato", "alliance", "otan", "summit", "defence", "army"],
    "nato-iraq-mission": ["nato mission", "irak", "iraq", "baghdad", "otan", "training", "mission"],
    "csdp": ["csdp", "eeas", "mission", "security", "défense", "operation"],
    "sanctions": ["sanctions", "russia", "package", "council", "assets"],
    "ukraine": ["ukraine", "russia", "drone", "missile", "kyiv"],
    "eu-council": ["council", "union", "européenne", "bruxelles", "summit", "parlement"],
    "migration": ["migration", "frontex", "border", "asylum", "straße"],
    "energy": ["energy", "gas", "pipeline", "treaty", "północ"],
}
SYLLABLES = "ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu ra re ri ro " \
            "ru sa se si so su ta te ti to tu va ve vi vo vu za ze zi zo zu".split()


def vocabulary(seed: int = 7) -> list[str]:
    """VOCABULARY words by rank (index 0 = rank 1)."""
    rng = random.Random(seed)
    words = [""] * VOCABULARY
    for i, w in enumerate(COMMON):
        words[i] = w
    for w, rank in DOMAIN_RANKS.items():
        words[rank - 1] = w
    taken = set(words)
    for i in range(VOCABULARY):
        while not words[i]:
            w = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
            if w not in taken:
                words[i] = w
                taken.add(w)
    return words


def populate(engine, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    words = vocabulary()
    cum = list(itertools.accumulate(1 / rank for rank in range(1, VOCABULARY + 1)))
    now = datetime.now(timezone.utc)
    with engine.begin() as c:
        c.execute(Source.__table__.insert(), [{"name": f"s{i}", "outlet": f"Outlet {i}", "kind": "feed",
                                               "languages": [], "created": now} for i in range(50)])

    def draw(k: int, cluster: list[str]) -> str:
        out = rng.choices(words, cum_weights=cum, k=k)
        if cluster:
            for j in rng.sample(range(k), k // 5):
                out[j] = rng.choice(cluster)
        return " ".join(out)

    batch = 20_000
    for start in range(0, n, batch):
        arts, tags = [], []
        for i in range(start + 1, min(n, start + batch) + 1):
            topics = rng.sample(TOPICS, rng.randint(0, 2))
            cluster = CLUSTERS[topics[0]] if topics else []
            url = f"https://e.eu/{i}"
            arts.append({"id": i, "source_id": rng.randint(1, 50), "url": url, "canonical_url": url,
                         "content_hash": f"{i:x}", "title": draw(7, cluster), "authors": [],
                         "published": now - timedelta(minutes=rng.randint(0, 365 * 24 * 60)), "fetched": now,
                         "language": rng.choice(LANGS), "text": draw(40, cluster)})
            tags += [{"article_id": i, "topic_id": t, "score": 2.0, "evidence": []} for t in topics]
        with engine.begin() as c:
            c.execute(Article.__table__.insert(), arts)
            c.execute(ArticleTopic.__table__.insert(), tags)


def inbox_query(engine, topic: str, language: str) -> int:
    since = datetime.now(timezone.utc) - timedelta(days=7)
    q = (select(Article.id, Article.title, Article.published).join(ArticleTopic, ArticleTopic.article_id == Article.id)
         .where(ArticleTopic.topic_id == topic, Article.language == language, Article.published >= since)
         .order_by(Article.published.desc()).limit(50))
    with engine.connect() as c:
        return len(c.execute(q).all())


def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


QUERIES = ['"nato mission" irak', "straße OR polnoc", "title:(sanctions russia)", "csdp NEAR/3 eeas",
           "otan* lang:fr"]
# Title-only queries: their words occur in many texts but the titles that hold them are fewer.
TITLE_QUERIES = ["title:(sanctions russia)", "title:nato", 'title:"nato mission"', "title:irak*", "title:(drone OR missile)"]
# Words that occur in most articles (ranks 1-15 of the vocabulary): every row is a candidate.
HARD_QUERIES = ["said", "the AND of", "title:the", "said lang:pl", "in NEAR/2 the"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 articles")
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file); a populated database is "
                                     "reused as it is, so `--db sqlite:////tmp/bench.sqlite` generates once")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--per-query", action="store_true",
                        help="also the median of each query on its own (--runs // 5 runs each)")
    args = parser.parse_args()
    n = 100_000 if args.quick else args.articles
    tmp = tempfile.mkdtemp()
    url = args.db or f"sqlite:///{os.path.join(tmp, 'bench.sqlite')}"
    engine = connect(url)
    t = time.perf_counter()
    with engine.connect() as c:
        have = c.execute(select(func.count(Article.id))).scalar()
    if not have:
        populate(engine, n)
    else:
        n = have
    if engine.dialect.name == "postgresql":
        with engine.begin() as c:
            c.execute(text("ANALYZE"))
    load = time.perf_counter() - t
    rng = random.Random(2)
    print(f"{engine.dialect.name}: {n} articles {'reused' if have else 'generated'} in {load:.0f}s")
    p50, p95 = timed(lambda: inbox_query(engine, rng.choice(TOPICS), rng.choice(LANGS)), args.runs)
    print(f"inbox (topic + language + 7 days, 50 newest): p50 {p50:.1f} ms  p95 {p95:.1f} ms  (target p95 <= 50)")
    for label, queries in (("full text", QUERIES), ("full text, title only", TITLE_QUERIES),
                           ("full text, common words", HARD_QUERIES)):
        f50, f95 = timed(lambda: search(engine, rng.choice(queries), Filters(), limit=20), args.runs)
        print(f"{label} (first page of 20, verified): p50 {f50:.1f} ms  p95 {f95:.1f} ms  (target p95 <= 200)")
        if args.per_query:
            for query in queries:
                q50, _ = timed(lambda: search(engine, query, Filters(), limit=20), max(1, args.runs // 5))
                print(f"    {query}: median {q50:.1f} ms")
    if engine.dialect.name == "sqlite":
        size = os.path.getsize(url.removeprefix("sqlite:///"))
    else:
        with engine.connect() as c:
            size = c.execute(text("SELECT pg_database_size(current_database())")).scalar()
    print(f"database size: {size / 1e6:.0f} MB, {size / n:.0f} bytes per article")


if __name__ == "__main__":
    main()
