"""Throughput machinery: the process pool gives the same records as in-process work, the loop-lag probe
and the progress reporter report. No timing asserts: the numbers are for bench/throughput.py."""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import os
import signal
import subprocess
import sys
import time
import weakref
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.catalogue.fixtures import fixture_path
from monitor.crawl.loop_lag import LagHistogram, _Probe
from monitor.crawl.pool import pool_for, shutdown_pools, submit
from monitor.crawl.pool_size import available_cpus, pool_size
from monitor.crawl.reactor_steps import StepRecord, process_timer
from monitor.db import connect
from monitor.db.models import Article, ArticleTopic, CrawlRun
from monitor.dedupe.models import ArticleSignature
from monitor.enrich import analyse_article
from monitor.feeds import parse_feed
from monitor.items import ArticleItem
from monitor.replica import CATALOGUE, ReplicaServer
from monitor.sitemaps import parse_sitemap
from tests.conftest import CORPORA, REPO, run_monitor
from tests.pool_probe import Parcel, die, die_once, echo, frozen_objects, loaded_packages, pid

FIELDS = ("title", "authors", "published", "language", "language_confidence", "declared_language",
          "description", "text", "content_hash", "taxonomy_version")


def crawl(replica: ReplicaServer, db_url: str, *extra: str) -> Any:
    result = run_monitor("crawl", "--catalogue", str(CATALOGUE), "--base-url", replica.base_url, "--db", db_url,
                         "--set", "AUTOTHROTTLE_ENABLED=False", *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def stored(db_url: str) -> dict[str, dict[str, Any]]:
    """Every stored article's record by canonical URL, with its topics and signature (ids left out)."""
    engine = connect(db_url)
    with engine.connect() as connection:
        articles = connection.execute(select(Article)).mappings().all()
        topics = connection.execute(select(ArticleTopic)).mappings().all()
        signatures = dict(connection.execute(select(ArticleSignature.article_id, ArticleSignature.signature)).all())
    engine.dispose()
    records = {}
    for row in articles:
        record = {name: row[name] for name in FIELDS}
        record["topics"] = sorted((t["topic_id"], t["score"], json.dumps(t["evidence"], sort_keys=True))
                                  for t in topics if t["article_id"] == row["id"])
        record["signature"] = bytes(signatures[row["id"]]) if row["id"] in signatures else None
        records[row["canonical_url"]] = record
    return records


def stories(db_url: str) -> set[frozenset[str]]:
    """Stories as sets of canonical URLs (which copy came first, and so the ids, depends on arrival order)."""
    engine = connect(db_url)
    with engine.connect() as connection:
        rows = connection.execute(select(Article.canonical_url, Article.story_id)).all()
    engine.dispose()
    groups: dict[int, set[str]] = {}
    for url, story in rows:
        groups.setdefault(story, set()).add(url)
    return {frozenset(group) for group in groups.values()}


@pytest.fixture(scope="module")
def both_paths(replica: ReplicaServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("throughput")
    pooled, in_process = f"sqlite:///{folder / 'pool.sqlite'}", f"sqlite:///{folder / 'inproc.sqlite'}"
    crawl(replica, pooled, "--set", "MONITOR_PROCESS_POOL=2", "--set", "MONITOR_REACTOR_STEPS=True")
    crawl(replica, in_process, "--set", "MONITOR_PROCESS_POOL=0")
    return {"pool": pooled, "in_process": in_process}


def test_pool_and_in_process_crawls_store_identical_records(both_paths: dict[str, str]) -> None:
    pooled, in_process = stored(both_paths["pool"]), stored(both_paths["in_process"])
    assert len(pooled) >= 10
    assert pooled.keys() == in_process.keys()
    for url, record in pooled.items():
        assert record == in_process[url], url
    assert any(record["topics"] for record in pooled.values())
    assert stories(both_paths["pool"]) == stories(both_paths["in_process"])
    assert any(len(story) > 1 for story in stories(both_paths["pool"]))


def corpus_items() -> list[ArticleItem]:
    pages = sorted((CORPORA / "article-extraction-benchmark" / "html").glob("*.html.gz"))[:4]
    if not pages:
        pytest.skip(f"corpora not found at {CORPORA}")
    return [ArticleItem(url=f"http://127.0.0.1:8000/site/{page.name}", source="bench",
                        html=gzip.decompress(page.read_bytes()).decode("utf-8", "replace"),
                        declared_languages=["en"]) for page in pages]


def test_analyse_article_in_a_worker_equals_in_process() -> None:
    pool = pool_for(1)
    assert pool is not None
    try:
        remote = [pool.submit(analyse_article, item).result(timeout=120) for item in corpus_items()]
    finally:
        shutdown_pools()
    local = [analyse_article(item) for item in corpus_items()]
    assert [asdict(r) for r in remote] == [asdict(r) for r in local]
    assert all(r.text and r.language and r.content_hash and r.signature for r in remote)


def test_a_worker_loads_only_the_analysis_side() -> None:
    """Each worker is a whole interpreter: Twisted, Scrapy and the database layer would cost ~45 MB apiece.
    Workers analyse pages and parse feeds and sitemaps (parsed there, the objects a big listing builds never
    reach the crawler's heap and its collector's full passes)."""
    feed_body = (CORPORA / "feeds-sitemaps" / "feeds" / "heise.atom").read_bytes()
    sitemap_body = gzip.compress((fixture_path("euractiv-defence") / "sitemap_index.xml").read_bytes())
    pool = pool_for(1)
    assert pool is not None
    try:
        pool.submit(analyse_article, corpus_items()[0]).result(timeout=120)
        parsed_feed = pool.submit(parse_feed, feed_body, "https://www.heise.de/feed.xml").result(timeout=60)
        parsed_sitemap = pool.submit(parse_sitemap, sitemap_body, "https://www.euractiv.com/s.xml.gz").result(timeout=60)
        loaded = pool.submit(loaded_packages).result(timeout=60)
        frozen = pool.submit(frozen_objects).result(timeout=60)
    finally:
        shutdown_pools()
    assert frozen > 50_000  # the warmed-up heap (tagger, profiles, modules) is out of full GC passes
    assert {"trafilatura", "langdetect", "monitor", "feedparser"} <= loaded
    assert not loaded & {"twisted", "scrapy", "sqlalchemy", "alembic"}
    assert parsed_feed == parse_feed(feed_body, "https://www.heise.de/feed.xml") and parsed_feed.entries
    assert parsed_sitemap == parse_sitemap(sitemap_body, "https://www.euractiv.com/s.xml.gz") and parsed_sitemap.entries


def test_a_pooled_crawl_leaves_the_analysis_and_dashboard_libraries_out_of_the_crawler(
        replica: ReplicaServer, tmp_path: Path) -> None:
    """The crawler reads and compares stored signatures; datasketch (scipy, redis) computes them in the
    worker. The dashboard's tables are among the crawler's models, its web framework is not."""
    db_url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    script = (
        "import sys, json\n"
        "from monitor.cli import cli\n"
        f"cli(['crawl', 'b2', '--catalogue', {str(CATALOGUE)!r}, '--base-url', {replica.base_url!r}, '--db',"
        f" {db_url!r}, '--set', 'MONITOR_PROCESS_POOL=1'], standalone_mode=False)\n"
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert '"stored": ' in lines[0] and '"stored": 0' not in lines[0]
    loaded = set(json.loads(lines[-1]))
    assert {"scrapy", "sqlalchemy", "numpy"} <= loaded
    assert not loaded & {"datasketch", "scipy", "fastapi", "jinja2"}


def test_pool_size_is_a_count_or_auto(tmp_path: Path) -> None:
    assert pool_for(0) is None
    assert [pool_size(value) for value in (0, 3, "2", " 4 ")] == [0, 3, 2, 4]
    assert [pool_size("auto", cpus=n) for n in (1, 2, 8)] == [1, 1, 7]  # one CPU left for the reactor
    assert [pool_size("auto", cpus=8, crawls=n) for n in (2, 4, 16)] == [3, 1, 1]  # a scheduler's crawls share
    assert pool_size("AUTO") == max(1, available_cpus() - 1)
    for bad in (-1, "-2", "many", 1.5, True, None):
        with pytest.raises(ValueError, match="MONITOR_PROCESS_POOL: expected .* got"):
            pool_size(bad)
    with pytest.raises(ValueError, match="MONITOR_PROCESS_POOL"):
        pool_for(-1)
    quota = tmp_path / "cpu.max"
    quota.write_text("100000 100000\n")  # a container allowed one CPU's worth of time
    assert available_cpus(quota) == 1
    quota.write_text("max 100000\n")
    assert available_cpus(quota) == available_cpus(tmp_path / "missing") >= 1


def test_a_dying_worker_is_replaced_and_its_task_retried_once(tmp_path: Path) -> None:
    """A parser crash on a hostile page kills its worker: without a fresh pool every later page would fail."""
    try:
        before = submit(1, pid).result(timeout=120)
        assert submit(1, die_once, str(tmp_path / "marker")).result(timeout=120) == "survived"
        with pytest.raises(BrokenProcessPool):  # a page that kills the fresh worker too: given up
            submit(1, die).result(timeout=120)
        assert submit(1, pow, 2, 10).result(timeout=120) == 1024  # and the crawl goes on
        assert submit(1, pid).result(timeout=120) != before
    finally:
        shutdown_pools()


def test_a_pooled_page_is_freed_without_waiting_for_the_collector() -> None:
    """A reference cycle around a task would keep every page and its result until a full collection, which
    then stalls the reactor while it frees them all."""
    gc.disable()
    try:
        page = Parcel("text " * 1000)
        future = submit(1, echo, page)
        result = future.result(timeout=120)
        assert isinstance(result, Parcel) and result.body == page.body
        sent, returned = weakref.ref(page), weakref.ref(result)
        del page, result, future
        deadline = time.monotonic() + 10  # the pool's own threads let go of the task a moment later
        while (sent() is not None or returned() is not None) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sent() is None and returned() is None
    finally:
        gc.enable()
        shutdown_pools()


def worker_processes(parent: int) -> list[int]:
    """Live extract workers (``spawn_main`` children) of process ``parent``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z" and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return found


def test_a_crawl_whose_worker_is_killed_stores_every_article(replica: ReplicaServer, both_paths: dict[str, str],
                                                              tmp_path: Path) -> None:
    """SIGKILL the extract worker mid-crawl: a fresh pool takes over and nothing is lost."""
    db_url = f"sqlite:///{tmp_path / 'killed.sqlite'}"
    crawl_process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "crawl", "--catalogue", str(CATALOGUE), "--base-url", replica.base_url,
         "--db", db_url, "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "MONITOR_PROCESS_POOL=1"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (workers := worker_processes(crawl_process.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers, "the crawl started no extract worker"
    os.kill(workers[0], signal.SIGKILL)
    out, err = crawl_process.communicate(timeout=300)
    assert crawl_process.returncode == 0, err[-3000:]
    assert "an extract worker died" in err
    assert sum(s.get("monitor/pool/replaced", 0) for s in run_stats(db_url)) >= 1
    assert stored(db_url).keys() == stored(both_paths["pool"]).keys()


def run_stats(db_url: str) -> list[dict[str, Any]]:
    """The stats of every crawl run stored in ``db_url``."""
    engine = connect(db_url)
    with engine.connect() as connection:
        runs = connection.execute(select(CrawlRun.stats)).scalars().all()
    engine.dispose()
    return list(runs)


def test_loop_lag_probe_reports_into_the_crawl_stats(both_paths: dict[str, str]) -> None:
    runs = run_stats(both_paths["pool"])
    assert runs
    for stats in runs:
        assert stats["monitor/loop_lag/samples"] > 0
        assert isinstance(stats["monitor/loop_lag/max_ms"], (int, float))
        assert 0 <= stats["monitor/loop_lag/p99_ms"] <= stats["monitor/loop_lag/max_ms"]
        assert 0 <= stats["monitor/loop_lag/cpu_p99_ms"] <= stats["monitor/loop_lag/cpu_max_ms"]
        assert stats["monitor/gc/full_passes"] >= 0 and stats["monitor/gc/full_max_ms"] >= 0
        assert stats["monitor/gc/full_collected"] >= 0
        assert stats["monitor/reactor/step_max_ms"] > 0 and stats["monitor/reactor/step_max_what"]
        assert stats["monitor/reactor/steps_over_100ms"] >= 0
    assert "monitor/reactor/step_max_ms" not in run_stats(both_paths["in_process"])[0]  # off by default


def test_step_timer_names_the_one_long_step_and_restores_asyncio() -> None:
    original = asyncio.Handle._run
    record, other = StepRecord(), StepRecord()

    def hold_the_loop() -> None:
        started = time.thread_time()
        while time.thread_time() - started < 0.15:
            pass

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for _ in range(50):
            loop.call_soon(lambda: None)
        loop.call_soon(hold_the_loop)
        await asyncio.sleep(0.05)
        process_timer.detach(other)  # one record leaving does not unwrap the others

    process_timer.attach(record)
    process_timer.attach(other)
    try:
        asyncio.run(main())
    finally:
        process_timer.detach(record)
    assert asyncio.Handle._run is original
    assert record.max_ms >= 150 and record.over_limit == 1
    assert "hold_the_loop" in record.max_what


def test_crawl_stats_record_the_malloc_tuning(both_paths: dict[str, str]) -> None:
    runs = run_stats(both_paths["pool"])
    assert runs
    for stats in runs:
        assert stats["monitor/malloc/malloc_arena_max"] == 2
        assert stats["monitor/malloc/malloc_mmap_threshold"] == 128 * 1024


def test_probe_times_only_full_gc_passes_and_counts_what_they_collect() -> None:
    probe = _Probe(1.0)
    gc.callbacks.append(probe._on_gc)
    try:
        gc.collect(0)
        gc.collect(1)
        assert probe.gc_passes == 0
        gc.collect()
        before = probe.gc_collected
        for _ in range(50):  # 50 two-list cycles, unreachable: only a collection frees them
            a: list[object] = []
            b: list[object] = [a]
            a.append(b)
        del a, b
        gc.collect(2)
    finally:
        gc.callbacks.remove(probe._on_gc)
    assert probe.gc_passes == 2
    assert probe.gc_max_ms >= 0
    assert probe.gc_collected - before >= 100


def test_lag_histogram_percentiles() -> None:
    histogram = LagHistogram()
    for lag in [0.5] * 98 + [40.2, 250.0]:
        histogram.add(lag)
    assert histogram.samples == 100
    assert histogram.max_ms == 250.0
    assert histogram.percentile(0.5) == 1.0  # the 0-1 ms bucket's upper edge
    assert histogram.percentile(0.99) == 41.0
    assert histogram.percentile(1.0) == 250.0
    assert LagHistogram().percentile(0.99) == 0.0


def test_progress_lines_appear_with_progress(replica: ReplicaServer, db_url: str) -> None:
    result = crawl(replica, db_url, "--progress", "--set", "MONITOR_PROGRESS=0.2")
    lines = [line for line in result.stderr.splitlines() if line.startswith("progress ")]
    assert lines, result.stderr[-2000:]
    final = lines[-1]
    assert "pages/s" in final and "ETA done" in final
    pages = int(final.split("pages ", 1)[1].split()[0].replace(",", ""))
    assert pages > 0


def test_no_progress_lines_without_the_flag(replica: ReplicaServer, db_url: str) -> None:
    result = crawl(replica, db_url, "b2")
    assert not [line for line in result.stderr.splitlines() if line.startswith("progress ")]


ORPHAN = """
import os, signal
from monitor.crawl.pool import pool_for
pool = pool_for(1)
print(pool.submit(os.getpid).result(timeout=120), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # no shutdown: a crawler killed outright
"""


def test_a_worker_exits_when_its_crawler_is_killed(tmp_path: Path) -> None:
    out = tmp_path / "worker-pid"
    with out.open("w") as stdout:  # a file, not a pipe: a surviving worker would hold a pipe open
        code = subprocess.run([sys.executable, "-c", ORPHAN], stdout=stdout, cwd=REPO, timeout=180).returncode
    assert code == -signal.SIGKILL
    worker = int(out.read_text().split()[0])
    deadline = time.monotonic() + 30
    while running(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not running(worker), f"extract worker {worker} outlived its killed crawler"


def running(pid: int) -> bool:
    """The process exists and has not exited (a zombie waiting for init to reap it has)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
