"""Benchmark: alert inbox query (topic + language + last 7 days) and full-text search on N generated articles.

    .venv/bin/python bench/query.py [--quick] [--articles N] [--db URL]

Prints p50/p95 per query and the database size per article. Targets on SQLite:
inbox p95 <= 50 ms, full text p95 <= 200 ms. Default 1,000,000 articles; --quick 100,000.
"""

from __future__ import annotations

import argparse
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

WORDS = ("nato otan mission irak iraq defence défense union européenne council sanctions russia ukraine "
         "straße północ bruxelles parlement commission budget army navy drone missile exercise summit "
         "minister policy security strategy csdp eeas frontex border migration energy gas treaty").split()
TOPICS = ["nato", "nato-iraq-mission", "csdp", "sanctions", "ukraine", "eu-council", "migration", "energy"]
LANGS = ["en", "fr", "de", "es", "it", "nl", "pl"]


def populate(engine, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    with engine.begin() as c:
        c.execute(Source.__table__.insert(), [{"name": f"s{i}", "outlet": f"Outlet {i}", "kind": "feed",
                                               "languages": [], "created": now} for i in range(50)])
    batch = 20_000
    for start in range(0, n, batch):
        arts, tags = [], []
        for i in range(start + 1, min(n, start + batch) + 1):
            body = " ".join(rng.choices(WORDS, k=40))
            url = f"https://e.eu/{i}"
            arts.append({"id": i, "source_id": rng.randint(1, 50), "url": url, "canonical_url": url,
                         "content_hash": f"{i:x}", "title": " ".join(rng.choices(WORDS, k=7)), "authors": [],
                         "published": now - timedelta(minutes=rng.randint(0, 365 * 24 * 60)), "fetched": now,
                         "language": rng.choice(LANGS), "text": body})
            tags += [{"article_id": i, "topic_id": t, "score": 2.0, "evidence": []}
                     for t in rng.sample(TOPICS, rng.randint(0, 2))]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 articles")
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    n = 100_000 if args.quick else args.articles
    tmp = tempfile.mkdtemp()
    url = args.db or f"sqlite:///{os.path.join(tmp, 'bench.sqlite')}"
    engine = connect(url)
    t = time.perf_counter()
    if not engine.connect().execute(select(func.count(Article.id))).scalar():
        populate(engine, n)
    if engine.dialect.name == "postgresql":
        with engine.begin() as c:
            c.execute(text("ANALYZE"))
    load = time.perf_counter() - t
    rng = random.Random(2)
    p50, p95 = timed(lambda: inbox_query(engine, rng.choice(TOPICS), rng.choice(LANGS)), args.runs)
    print(f"{engine.dialect.name}: {n} articles loaded in {load:.0f}s")
    print(f"inbox (topic + language + 7 days, 50 newest): p50 {p50:.1f} ms  p95 {p95:.1f} ms  (target p95 <= 50)")
    queries = ['"nato mission" irak', "straße OR polnoc", "title:(sanctions russia)", "csdp NEAR/3 eeas",
               "otan* lang:fr"]
    f50, f95 = timed(lambda: search(engine, rng.choice(queries), Filters(), limit=20), args.runs)
    print(f"full text (first page of 20, verified): p50 {f50:.1f} ms  p95 {f95:.1f} ms  (target p95 <= 200)")
    if engine.dialect.name == "sqlite":
        size = os.path.getsize(url.removeprefix("sqlite:///"))
    else:
        with engine.connect() as c:
            size = c.execute(text("SELECT pg_database_size(current_database())")).scalar()
    print(f"database size: {size / 1e6:.0f} MB, {size / n:.0f} bytes per article")


if __name__ == "__main__":
    main()
