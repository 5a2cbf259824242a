"""Distributed crawl: a seeder and two `monitor worker` processes crawl the replica through Redis into PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone

import numpy as np
import pytest
from sqlalchemy import func, select

from monitor.db import connect
from monitor.db.models import Article, CrawlRun
from monitor.db.store import SourceInfo
from monitor.distributed.bands import RedisBandStore
from monitor.distributed.keys import clear, client
from monitor.distributed.presence import live_workers
from monitor.distributed.store import SharedArticleStore
from monitor.replica import CATALOGUE, ReplicaServer
from monitor.urls import canonicalize_url
from tests.conftest import REPO, require_service, run_monitor
from tests.replica_truth import TRUTH_ARTICLES, truth_url

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture()
def redis_prefix() -> Iterator[str]:
    """A key prefix unique to this test; everything under it is deleted afterwards."""
    try:
        client(REDIS_URL).ping()
    except Exception as exc:  # noqa: BLE001 - any connection failure means "service absent"
        require_service("Redis", f"{REDIS_URL}: {exc}")
    prefix = f"monitor-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    clear(REDIS_URL, prefix)


def test_redis_band_store_follows_the_band_store_protocol(redis_prefix: str) -> None:
    store = RedisBandStore(client(REDIS_URL), redis_prefix, bands=4)
    keys = np.array([1, 2, 3, 4], dtype=np.uint32)
    store.add(10, keys)
    store.add_many(np.array([11, 12]), np.array([[1, 9, 9, 9], [7, 7, 7, 7]], dtype=np.uint32))
    assert len(store) == 3
    assert store.candidates(keys).tolist() == [10, 11]
    assert store.candidates(np.array([0, 0, 0, 7], dtype=np.uint32)).tolist() == [12]
    assert store.candidates(np.array([5, 5, 5, 5], dtype=np.uint32)).size == 0
    other_process = RedisBandStore(client(REDIS_URL), redis_prefix, bands=4)  # same keys, another client view
    assert other_process.candidates(keys).tolist() == [10, 11]
    with pytest.raises(ValueError, match="expected 4 band keys"):
        store.candidates(np.array([1, 2], dtype=np.uint32))


def test_pending_articles_are_seen_by_every_worker(redis_prefix: str, postgres_url: str) -> None:
    engine = connect(postgres_url)
    first = SharedArticleStore(engine, REDIS_URL, prefix=redis_prefix)
    second = SharedArticleStore(engine, REDIS_URL, prefix=redis_prefix)
    source_id = first.source_id(SourceInfo("w", "W", "feed"))
    record = {"id": first.new_id(), "source_id": source_id, "url": "https://w.eu/1", "canonical_url": "https://w.eu/1",
              "content_hash": "h1", "title": "T", "authors": [], "published": None,
              "fetched": datetime.now(timezone.utc), "language": "en", "text": "text", "topics": []}
    first.add(record)
    assert second.is_known_url("https://w.eu/1")  # pending in the first worker, not yet in the database
    assert second.exact_duplicate("https://w.eu/other", "h1") == ("content", record["id"])
    first.flush()
    assert not client(REDIS_URL).exists(first._key("url", "https://w.eu/1"))  # the database answers now
    assert second.exact_duplicate("https://w.eu/1", "zz") == ("url", record["id"])


def _wait_for_live_workers(redis_prefix: str, expected: int, workers: list[subprocess.Popen]) -> list[str]:
    """Poll the heartbeat set until ``expected`` worker spiders are live (or a worker died)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        live = live_workers(client(REDIS_URL), redis_prefix)
        if len(live) >= expected:
            return live
        for worker in workers:
            if worker.poll() is not None:
                raise AssertionError(f"worker exited early: {worker.communicate()[1][-3000:]}")
        time.sleep(0.2)
    raise AssertionError(f"only {live_workers(client(REDIS_URL), redis_prefix)} live after 120 s")


def test_two_workers_crawl_the_replica_once_into_postgresql(replica: ReplicaServer, redis_prefix: str,
                                                            postgres_url: str) -> None:
    env = {"MONITOR_REDIS_URL": REDIS_URL, "MONITOR_REDIS_PREFIX": redis_prefix}
    common = ["--catalogue", str(CATALOGUE), "--base-url", replica.base_url, "--db", postgres_url,
              "--set", "AUTOTHROTTLE_ENABLED=False"]
    # Both workers wait on the empty frontier before anything is seeded. nato and eeas are crawled by
    # both at once (one shared queue each: which worker pops what is up to timing); b2 only by the first
    # and defnews only by the second, so each is sure to store something whatever the timing.
    shares = [("b2", "nato", "eeas"), ("nato", "eeas", "defnews")]
    workers = [subprocess.Popen(
        [sys.executable, "-m", "monitor", "worker", *share, *common, "--idle", "12", "--set", "CONCURRENT_REQUESTS=2"],
        cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for share in shares]
    live = _wait_for_live_workers(redis_prefix, 6, workers)  # 2 processes x 3 sources
    assert len({member.split(":")[1] for member in live}) == 2  # two pids

    status = run_monitor("status", "--db", postgres_url, env=env)
    assert status.returncode == 0, status.stderr[-3000:]
    assert "Live workers (6," in status.stdout

    seeded = run_monitor("crawl", "--distributed", *common, env=env)
    assert seeded.returncode == 0, seeded.stderr[-3000:]

    outputs, errors = [], []
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err[-3000:]
        outputs.append([json.loads(line) for line in out.splitlines()])
        errors.append(err)
    assert live_workers(client(REDIS_URL), redis_prefix) == []  # closed spiders leave the heartbeat set

    stored_by_worker = [sum(run["stored"] for run in runs) for runs in outputs]
    assert all(n > 0 for n in stored_by_worker), (stored_by_worker, [e[-2000:] for e in errors])
    engine = connect(postgres_url)
    with engine.connect() as connection:
        urls = connection.execute(select(Article.canonical_url)).scalars().all()
        runs = connection.execute(select(func.count()).select_from(CrawlRun)
                                  .where(CrawlRun.status == "finished")).scalar_one()
        stories = dict(connection.execute(select(Article.canonical_url, Article.story_id)).all())
    expected = {canonicalize_url(truth_url(replica.base_url, t)) for t in TRUTH_ARTICLES}
    # on a miss, say which article and what each worker's runs and log said about it
    diagnosis = (stored_by_worker, sorted(expected - set(urls)), outputs, [e[-3000:] for e in errors])
    assert sum(stored_by_worker) == len(TRUTH_ARTICLES), diagnosis
    assert len(urls) == len(set(urls)) == len(TRUTH_ARTICLES)
    assert set(urls) == expected
    assert runs == 6  # each worker recorded a run for each of its three sources
    by_path = {(t["site"], t["path"]): t for t in TRUTH_ARTICLES}
    for truth in (t for t in TRUTH_ARTICLES if t["duplicate_of"]):  # wire copies joined one story across workers
        original = by_path[(truth["duplicate_of"]["site"], truth["duplicate_of"]["path"])]
        assert stories[canonicalize_url(truth_url(replica.base_url, truth))] == \
            stories[canonicalize_url(truth_url(replica.base_url, original))]


def test_a_worker_whose_run_had_errors_exits_3(replica: ReplicaServer, redis_prefix: str, postgres_url: str,
                                              tmp_path) -> None:
    """`monitor worker` judges its runs like `monitor crawl`: a feed answering 404 is exit 3, for the supervisor."""
    from tests.test_run_errors import catalogue

    env = {**os.environ, "MONITOR_REDIS_URL": REDIS_URL, "MONITOR_REDIS_PREFIX": redis_prefix}
    common = ["--catalogue", str(catalogue(tmp_path, replica)), "--db", postgres_url,
              "--set", "AUTOTHROTTLE_ENABLED=False"]
    # idle long enough for the seeding crawl to start on a loaded machine (with 5 s it once exited before any run)
    worker = subprocess.Popen([sys.executable, "-m", "monitor", "worker", *common, "--idle", "15"], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_live_workers(redis_prefix, 1, [worker])
    seeded = run_monitor("crawl", "--distributed", *common, env=env)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    out, err = worker.communicate(timeout=180)
    assert worker.returncode == 3, err[-3000:]
    assert json.loads(out.splitlines()[0])["status"] == "finished_with_errors"
    assert "Error: t-feed-404: finished_with_errors (1 http_404)" in err


def test_shared_band_keys_expire_and_a_reload_pushes_only_the_newest(redis_prefix: str, postgres_url: str) -> None:
    """Redis must not keep every article's bands forever, nor refill them all after a flush."""
    from monitor.dedupe.signature import signature
    from monitor.distributed.bands import BAND_TTL
    from monitor.distributed.stories import shared_resolver

    engine = connect(postgres_url)
    writer = SharedArticleStore(engine, REDIS_URL, prefix=redis_prefix)
    source_id = writer.source_id(SourceInfo("w", "W", "feed"))
    ids = []
    for n in range(5):
        text = " ".join(f"word{n}x{i}" for i in range(200))
        ids.append(writer.new_id())
        writer.add({"id": ids[-1], "source_id": source_id, "url": f"https://w.eu/{n}", "canonical_url": f"https://w.eu/{n}",
                    "content_hash": f"h{n}", "title": "T", "authors": [], "published": None,
                    "fetched": datetime.now(timezone.utc), "language": "en", "text": text, "topics": [],
                    "signature": signature(text).to_bytes()})
    writer.flush()
    resolver = shared_resolver(engine, REDIS_URL, prefix=redis_prefix, capacity=4)
    resolver.ensure_loaded()
    redis = client(REDIS_URL)
    band_keys = [k for k in redis.scan_iter(f"{redis_prefix}:band:*") if not k.endswith(b":count")
                 and not k.endswith(b":loaded")]
    assert band_keys and all(0 < redis.ttl(k) <= BAND_TTL for k in band_keys)
    found = {int(i) for k in band_keys for i in np.frombuffer(redis.get(k), dtype="<i8")}
    assert found == set(ids[1:])  # capacity 4: the oldest of the five is not pushed even with no mark in Redis
    assert 0 < redis.ttl(f"{redis_prefix}:band:loaded") <= BAND_TTL  # gone with the keys: a later worker reloads


def test_a_heartbeat_forgets_workers_dead_for_an_hour(redis_prefix: str) -> None:
    from monitor.distributed.presence import FORGET_SECONDS, heartbeat, workers_key

    redis = client(REDIS_URL)
    redis.zadd(workers_key(redis_prefix), {"host:1:crashed": time.time() - FORGET_SECONDS - 5,
                                           "host:2:quiet": time.time() - 60})
    heartbeat(redis, redis_prefix, "host:3:alive")
    assert sorted(m.decode() for m in redis.zrange(workers_key(redis_prefix), 0, -1)) == ["host:2:quiet", "host:3:alive"]
    assert live_workers(redis, redis_prefix) == ["host:3:alive"]


def _worker(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "monitor", "worker", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_distributed_crawl_saves_no_validators_so_every_seed_lists_the_articles_again(
        replica: ReplicaServer, redis_prefix: str, postgres_url: str) -> None:
    """A worker killed with SIGKILL loses the requests it took from Redis. Had the feed's ETag been saved, every
    later seed would get 304 and never ask for those articles again: each round reads the feed in full."""
    from monitor.catalogue.models import HttpValidator
    from monitor.distributed.settings import LISTINGS_TAKEN, WORKER_STAT

    env = {**os.environ, "MONITOR_REDIS_URL": REDIS_URL, "MONITOR_REDIS_PREFIX": redis_prefix}
    common = ["b2", "--catalogue", str(CATALOGUE), "--base-url", replica.base_url, "--db", postgres_url,
              "--set", "AUTOTHROTTLE_ENABLED=False"]
    rounds = []
    for _ in range(2):
        worker = _worker([*common, "--idle", "6"], env)
        _wait_for_live_workers(redis_prefix, 1, [worker])
        seeded = run_monitor("crawl", "--distributed", *common, env=env)
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err[-3000:]
        rounds.append(json.loads(out.splitlines()[0]))
    first, second = rounds
    assert first["stored"] > 0 and first["not_modified"] == 0
    # the feed again in full, and each of its articles asked for again (skipped because stored, not hidden by a 304)
    assert second["not_modified"] == 0 and second["seen_skipped"] == first["stored"], rounds
    engine = connect(postgres_url)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(HttpValidator)).scalar_one() == 0
        stats = connection.execute(select(CrawlRun.stats)).scalars().all()
    assert all(s[WORKER_STAT] == 1 and s[LISTINGS_TAKEN] == 1 for s in stats)  # what source health reads


def test_a_worker_stopped_with_sigterm_finishes_its_work_records_finished_runs_and_exits_0(
        replica: ReplicaServer, redis_prefix: str, postgres_url: str) -> None:
    """`systemctl stop` sends SIGTERM: a requested stop, not a failure. Was: exit 3 and "failed: shutdown" rows,
    so systemd marked the unit failed and health counted a failure."""
    import signal

    env = {**os.environ, "MONITOR_REDIS_URL": REDIS_URL, "MONITOR_REDIS_PREFIX": redis_prefix}
    common = ["b2", "nato", "--catalogue", str(CATALOGUE), "--base-url", replica.base_url, "--db", postgres_url,
              "--set", "AUTOTHROTTLE_ENABLED=False"]
    worker = _worker([*common, "--idle", "0"], env)  # as under systemd: runs until stopped
    _wait_for_live_workers(redis_prefix, 2, [worker])
    seeded = run_monitor("crawl", "--distributed", *common, env=env)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    engine = connect(postgres_url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # stop it mid-crawl, once it has stored something
        with engine.connect() as connection:
            if connection.execute(select(func.count()).select_from(Article)).scalar_one() > 0:
                break
        time.sleep(0.1)
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err[-3000:]
    runs = [json.loads(line) for line in out.splitlines()]
    assert [run["status"] for run in runs] == ["finished", "finished"], runs
    with engine.connect() as connection:
        statuses = connection.execute(select(CrawlRun.status)).scalars().all()
    assert statuses == ["finished", "finished"]
    assert live_workers(client(REDIS_URL), redis_prefix) == []
