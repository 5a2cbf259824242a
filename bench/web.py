"""Benchmark: p95 response time of the dashboard's inbox, alert, search and trend pages over HTTP, on N
generated articles (bench/query.py's generator), plus an optional schemathesis pass over the JSON API.

    .venv/bin/python bench/web.py [--quick] [--articles N] [--db URL] [--runs 30] [--fuzz]

The server is uvicorn on 127.0.0.1 (free port) in a background thread; requests come from one
keep-alive client, signed in. Target: p95 <= 300 ms per page. Default 1,000,000 articles; --quick 100,000.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from query import LANGS, TOPICS, populate  # noqa: E402 - bench/query.py's generator, reused

from monitor.alerts import add_alert  # noqa: E402
from monitor.alerts.models import AlertMatch  # noqa: E402
from monitor.db import connect  # noqa: E402
from monitor.db.models import Article  # noqa: E402
from monitor.web import create_app  # noqa: E402
from monitor.web.auth import add_user  # noqa: E402
from monitor.web.read_state import mark_read  # noqa: E402

ALERTS = {"nato-iraq": '"nato mission" irak', "sanctions": "sanctions AND russia", "csdp": "csdp NEAR/3 eeas",
          "drones": "drone OR missile", "frontex": "frontex border"}
MATCHES_PER_ALERT = 20_000
TARGET_MS = 300


def add_alerts(engine, n_articles: int) -> None:
    """Five alerts with MATCHES_PER_ALERT matches each (bulk rows), half of one alert read by the user."""
    rng = random.Random(3)
    now = datetime.now(timezone.utc)
    for name, query in ALERTS.items():
        alert_id = add_alert(engine, name, query)
        ids = rng.sample(range(1, n_articles + 1), min(MATCHES_PER_ALERT, n_articles))
        with engine.begin() as c:
            c.execute(AlertMatch.__table__.insert(), [
                {"alert_id": alert_id, "story_key": i, "article_id": i, "version": 1, "matched_at": now,
                 "evidence": [{"term": "nato", "field": "text", "start": 0, "end": 4}]} for i in ids])
    user = add_user(engine, "bench", "bench-password")
    with engine.connect() as c:
        first = c.execute(select(AlertMatch.id, AlertMatch.alert_id).limit(1)).first()
        ids = list(c.execute(select(AlertMatch.id).where(AlertMatch.alert_id == first.alert_id)).scalars())
    mark_read(engine, user, first.alert_id, ids[: len(ids) // 2])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(client: httpx.Client, paths: list[str], runs: int) -> tuple[float, float]:
    rng = random.Random(4)
    samples = []
    for _ in range(runs):
        path = rng.choice(paths)
        t = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - t) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: HTTP {response.status_code}")
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 articles")
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file); a populated database is reused, so "
                        "`--db sqlite:////tmp/bench.sqlite` generates once (the same file bench/query.py uses)")
    parser.add_argument("--runs", type=int, default=30, help="requests per page kind")
    parser.add_argument("--fuzz", action="store_true", help="also run schemathesis against /api/openapi.json")
    args = parser.parse_args()
    n = 100_000 if args.quick else args.articles
    url = args.db or f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'bench.sqlite')}"
    engine = connect(url)
    t = time.perf_counter()
    with engine.connect() as c:
        have = c.execute(select(func.count(Article.id))).scalar()
        alerts = c.execute(select(func.count(AlertMatch.id))).scalar()
    if not have:
        populate(engine, n)
    if not alerts:  # a database bench/query.py generated has articles but no alerts yet
        add_alerts(engine, have or n)
    if engine.dialect.name == "postgresql":
        with engine.begin() as c:
            c.execute(text("ANALYZE"))
    print(f"{engine.dialect.name}: {have or n} articles, {len(ALERTS)} alerts x {MATCHES_PER_ALERT} matches "
          f"ready in {time.perf_counter() - t:.0f}s")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(engine=engine, secret="bench"), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
            client.post("/login", data={"name": "bench", "password": "bench-password", "csrf_token": token})
            rng = random.Random(5)
            pages = {
                "inbox (alerts + unread counts)": ["/inbox"],
                "alert entries (50 newest, read state)": [f"/alerts/{a}" for a in ALERTS],
                "search, query language": ["/search?q=%22nato+mission%22+irak", "/search?q=title%3A(sanctions+russia)",
                                           "/search?q=csdp+NEAR%2F3+eeas", "/search?q=otan*+lang%3Afr"],
                "search, facets only": [f"/search?topic={rng.choice(TOPICS)}&language={rng.choice(LANGS)}"
                                        for _ in range(8)],
                "topic trend (60 days, SVG)": [f"/topics/{t}?days=60" for t in ("nato", "csdp", "nato-iraq-mission")],
            }
            worst = 0.0
            for name, paths in pages.items():
                client.get(paths[0])  # warm caches (facet values, taxonomy)
                p50, p95 = timed(client, paths, args.runs)
                worst = max(worst, p95)
                print(f"{name:40s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  (target p95 <= {TARGET_MS})")
            print(f"worst p95 {worst:.1f} ms: {'OK' if worst <= TARGET_MS else 'ABOVE TARGET'}")
        if args.fuzz:
            started = time.perf_counter()
            result = subprocess.run(
                [str(Path(sys.executable).with_name("schemathesis")), "run", f"{base}/api/openapi.json",
                 "--checks", "not_a_server_error,response_schema_conformance", "--max-examples", "20",
                 "--workers", "1"], capture_output=True, text=True)
            tail = [line for line in result.stdout.splitlines() if line.strip()][-3:]
            print(f"schemathesis ({time.perf_counter() - started:.0f}s, exit {result.returncode}): "
                  + " | ".join(tail))
    finally:
        server.should_exit = True
        thread.join(10)


if __name__ == "__main__":
    main()
