"""Throughput: the whole pipeline against a bare Scrapy crawl of the same pages, and its CPU per article.

What it does, in one run (issue 10):

1. Builds a replica in a temp dir: ``--pages`` article pages (default 2,000) spread over ``--sources``
   outlets, each with an RSS feed listing its pages. Bodies are the ~500 real pages of ../shared/corpora
   (Zyte benchmark, fundus, trafilatura-eval, Readability), cycled. Every copy gets one sentence with a
   unique number inserted into a paragraph in the middle of the page, so no two copies have the same
   normalized text (the exact-duplicate check would drop them) — but copies of one corpus page stay
   near-duplicates of each other, on purpose: they are stored, join the story of the first copy, and make
   the story index do its full candidate verification (its dearer path), like wire copies do.
2. Serves it with the project's threaded ``ReplicaServer`` in a separate process on 127.0.0.1.
3. (a) a bare Scrapy spider (same download settings, no-op parse) fetches the feeds and pages;
   (b) ``monitor crawl`` runs the full pipeline into a fresh SQLite database. Prints pages/s of both and
   the ratio (b)/(a), the reactor loop lag the crawl recorded, and its peak RSS (process + pool workers).
4. In-process, on the same pages: CPU time of the pipeline's per-article work (``analyse_article`` +
   story index + store row) against ``trafilatura.extract`` alone.

``--memory N`` instead crawls N articles and prints RSS over time (the 1 GB target is for 100,000);
``--queue-cost`` only times serializing one request for the disk queue, Scrapy's callback lookup vs ours.
Run: ``.venv/bin/python bench/throughput.py [--quick] [--pool N] [--json]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
if not CORPORA.is_dir():
    CORPORA = Path("/tmp/shared/corpora")
sys.path.insert(0, str(ROOT))

# The replica is our own loopback server: the same lifted politeness for (a) and (b).
DOWNLOAD_SETTINGS = {
    "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False, "LOG_LEVEL": "WARNING",
}
PARAGRAPH = re.compile(rb"<p(?:\s[^>]*)?>", re.IGNORECASE)


# --- the replica -------------------------------------------------------------------------
def corpus_pages() -> list[tuple[str, bytes]]:
    """(name, html bytes) of the corpus pages that have paragraphs to vary."""
    files = [*sorted((CORPORA / "article-extraction-benchmark" / "html").glob("*.html.gz")),
             *sorted((CORPORA / "fundus-parser-testdata").glob("*/*.html.gz")),
             *sorted((CORPORA / "trafilatura-eval" / "html").glob("*.html.gz")),
             *sorted((CORPORA / "readability-test-pages").glob("*/*/source.html.gz"))]
    pages = []
    for path in files:
        html = gzip.decompress(path.read_bytes())
        if len(PARAGRAPH.findall(html)) >= 3 and len(html) < 2_000_000:
            pages.append((path.name, html))
    if not pages:
        raise SystemExit(f"no corpus pages found under {CORPORA}")
    return pages


def vary(html: bytes, copy: int) -> bytes:
    """The page with one unique sentence put at the start of its middle paragraph."""
    tags = list(PARAGRAPH.finditer(html))
    tag = tags[len(tags) // 2]
    sentence = f"Replica copy {copy}: officials counted {copy * 7919 % 100000} units on day {copy % 365}. ".encode()
    return html[: tag.end()] + sentence + html[tag.end():]


def build_replica(root: Path, pages: int, sources: int) -> tuple[Path, list[str]]:
    """Write the sites, feeds and catalogue under ``root``; returns the catalogue path and the page paths."""
    corpus = corpus_pages()
    sites = root / "sites"
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    entries: dict[int, list[tuple[str, str, datetime]]] = {s: [] for s in range(sources)}
    paths = []
    for n in range(pages):
        outlet = n % sources
        name, html = corpus[n % len(corpus)]
        path = f"outlet{outlet}/a/{n}.html"
        (sites / path).parent.mkdir(parents=True, exist_ok=True)
        (sites / path).write_bytes(vary(html, n))
        entries[outlet].append((path, f"Article {n} ({name})", start + timedelta(minutes=n)))
        paths.append(path)
    blocks = []
    for outlet, items in entries.items():
        feed = sites / f"outlet{outlet}" / "feed" / "index.xml"
        feed.parent.mkdir(parents=True, exist_ok=True)
        rows = "".join(
            f"<item><title>{escape(title)}</title><link>{{{{SITE}}}}/{path.split('/', 1)[1]}</link>"
            f"<guid>{{{{SITE}}}}/{path.split('/', 1)[1]}</guid><pubDate>{format_datetime(when)}</pubDate></item>\n"
            for path, title, when in items)
        feed.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
                        f"<title>Outlet {outlet}</title><link>{{{{SITE}}}}/</link>\n{rows}</channel></rss>\n")
        blocks.append(f'[[source]]\nname = "outlet{outlet}"\noutlet = "Replica outlet {outlet}"\nkind = "feed"\n'
                      f'homepage = "{{{{REPLICA}}}}/outlet{outlet}/"\n'
                      f'start_urls = ["{{{{REPLICA}}}}/outlet{outlet}/feed/"]\n')
    catalogue = root / "catalogue.toml"
    catalogue.write_text("\n".join(blocks))
    return catalogue, paths


def _serve(root: str, queue: "multiprocessing.Queue[str]") -> None:
    from monitor.replica.server import ReplicaServer

    server = ReplicaServer(Path(root))
    server.requests = _Discard()  # type: ignore[assignment]  # a long crawl would grow the request log
    server.httpd.handle_error = lambda *_: None  # type: ignore[method-assign]  # clients closing at the end
    queue.put(server.base_url)
    server.httpd.serve_forever()


class _Discard(list):  # type: ignore[type-arg]
    def append(self, _: object) -> None:
        return None


def start_server(sites: Path) -> tuple[multiprocessing.Process, str]:
    """The replica server in its own process (it must not share the crawler's GIL or the bench's)."""
    queue: multiprocessing.Queue[str] = multiprocessing.Queue()
    process = multiprocessing.Process(target=_serve, args=(str(sites), queue), daemon=True)
    process.start()
    return process, queue.get(timeout=30)


# --- (a) a bare Scrapy crawl --------------------------------------------------------------------
BARE_SPIDER = '''
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

class Bare(scrapy.Spider):
    name = "bare"
    start_urls = json.loads(sys.argv[1])

    def parse(self, response):
        for link in response.xpath("//item/link/text()").getall():
            yield scrapy.Request(link, callback=self.page)

    def page(self, response):
        self.crawler.stats.inc_value("bare/pages")

process = CrawlerProcess(json.loads(sys.argv[2]))
crawler = process.create_crawler(Bare)
process.crawl(crawler)
process.start()
stats = crawler.stats.get_stats()
print(json.dumps({"pages": stats.get("bare/pages", 0), "seconds": stats["elapsed_time_seconds"],
                  "errors": stats.get("log_count/ERROR", 0)}))
'''


def run_bare(root: Path, base_url: str, sources: int) -> dict[str, float]:
    script = root / "bare_spider.py"
    script.write_text(BARE_SPIDER)
    feeds = [f"{base_url}/outlet{s}/feed/" for s in range(sources)]
    out = subprocess.run([sys.executable, str(script), json.dumps(feeds), json.dumps(DOWNLOAD_SETTINGS)],
                         capture_output=True, text=True, cwd=root, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- (b) monitor crawl ------------------------------------------------------------------------------
def tree_rss(pid: int) -> tuple[int, int]:
    """Resident bytes of ``pid`` and its children (the process pool), and of ``pid`` alone."""
    total = main = 0
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    main = main or int(line.split()[1]) * 1024
        except OSError:
            pass
    return total, main


def run_monitor(root: Path, catalogue: Path, base_url: str, pool: int | None, *,
                extra: dict[str, object] | None = None, rss_every: float = 0.5,
                progress: bool = False, shipped_politeness: bool = False) -> dict[str, object]:
    db = root / f"crawl-{time.monotonic_ns()}.sqlite"
    settings = {**({"LOG_LEVEL": "WARNING"} if shipped_politeness else DOWNLOAD_SETTINGS),
                "MONITOR_REACTOR_STEPS": True, **(extra or {})}
    if pool is not None:
        settings["MONITOR_PROCESS_POOL"] = pool
    settings.pop("LOG_LEVEL")
    args = [sys.executable, "-m", "monitor", "crawl", "--catalogue", str(catalogue),
            "--base-url", base_url, "--db", f"sqlite:///{db}"]
    if progress:
        args.append("--progress")
    for name, value in settings.items():
        args += ["--set", f"{name}={value}"]
    started = time.monotonic()
    process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=None if progress else subprocess.PIPE,
                               text=True)
    samples: list[tuple[float, int, int]] = []

    def sample() -> None:
        while process.poll() is None:
            samples.append((time.monotonic() - started, *tree_rss(process.pid)))
            time.sleep(rss_every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    wall = time.monotonic() - started
    sampler.join()
    if process.returncode not in (0, 3):  # 3: it ran, some pages were lost (counted in "errors")
        raise SystemExit(f"monitor crawl failed ({process.returncode}):\n{(stderr or '')[-3000:]}")
    runs = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    with sqlite3.connect(db) as connection:
        first, last = connection.execute("select min(started), max(finished) from crawl_runs").fetchone()
        stats = [json.loads(row[0]) for row in connection.execute("select stats from crawl_runs")]
        articles = connection.execute("select count(*) from articles").fetchone()[0]
    seconds = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds()
    pages = sum(int(s.get("downloader/response_status_count/200", 0)) for s in stats) - len(stats)
    db.unlink(missing_ok=True)
    return {
        "pages": pages, "articles": articles, "seconds": seconds, "wall": wall,
        "stored": sum(r.get("stored", 0) for r in runs), "errors": sum(r.get("errors", 0) for r in runs),
        "lag_max_ms": max((float(s.get("monitor/loop_lag/max_ms", 0)) for s in stats), default=0.0),
        "lag_p99_ms": max((float(s.get("monitor/loop_lag/p99_ms", 0)) for s in stats), default=0.0),
        "cpu_lag_max_ms": max((float(s.get("monitor/loop_lag/cpu_max_ms", 0)) for s in stats), default=0.0),
        "cpu_lag_p99_ms": max((float(s.get("monitor/loop_lag/cpu_p99_ms", 0)) for s in stats), default=0.0),
        "gc_full_passes": max((int(s.get("monitor/gc/full_passes", 0)) for s in stats), default=0),
        "gc_full_max_ms": max((float(s.get("monitor/gc/full_max_ms", 0)) for s in stats), default=0.0),
        # one probe per process: every crawler's stat is the same process-wide count
        "gc_collected": max((int(s.get("monitor/gc/full_collected", 0)) for s in stats), default=0),
        **longest_step(stats),
        "peak_rss": max((r for _, r, _ in samples), default=0),
        "peak_main_rss": max((m for _, _, m in samples), default=0), "rss": samples,
    }


def longest_step(stats: list[dict[str, object]]) -> dict[str, object]:
    """The longest single reactor callback over all crawlers (``monitor.crawl.reactor_steps``)."""
    longest = max(stats, key=lambda s: float(s.get("monitor/reactor/step_max_ms", 0)), default={})
    return {"step_max_ms": float(longest.get("monitor/reactor/step_max_ms", 0)),
            "step_max_what": longest.get("monitor/reactor/step_max_what", ""),
            "steps_over_100ms": max((int(s.get("monitor/reactor/steps_over_100ms", 0)) for s in stats), default=0)}


# --- CPU per article, in process ---------------------------------------------------------------------
def cpu_per_article(sites: Path, base_url: str, paths: list[str], sample: int) -> dict[str, float]:
    """Median CPU ms per page: trafilatura.extract alone, and the pipeline's per-article work."""
    import trafilatura

    from monitor.dedupe.index import StoryIndex
    from monitor.dedupe.signature import Signature
    from monitor.enrich import EmptyArticleError, analyse_article, default_tagger
    from monitor.items import ArticleItem
    from monitor.records import article_row

    default_tagger()
    step = max(1, len(paths) // sample)
    chosen = paths[::step][:sample]
    pages = []
    for path in chosen:
        site = path.split("/", 1)[0]
        html = (sites / path).read_bytes().replace(b"{{SITE}}", f"{base_url}/{site}".encode()).decode("utf-8", "replace")
        pages.append((f"{base_url}/{path}", html))
    index = StoryIndex()
    traf, pipe = [], []
    for round_ in range(2):  # the first round warms caches; keep the second
        traf_round, pipe_round = [], []
        for n, (url, html) in enumerate(pages):
            t0 = time.process_time()
            trafilatura.extract(html, url=url)
            t1 = time.process_time()
            try:
                item = analyse_article(ArticleItem(url=url, source="bench", html=html, canonical_url=url))
            except EmptyArticleError:
                item = ArticleItem(url=url, source="bench")
            if round_ and item.signature:
                index.query_and_add(n, Signature.from_bytes(item.signature))
            article_row(item, 1)
            t2 = time.process_time()
            traf_round.append(t1 - t0)
            pipe_round.append(t2 - t1)
        traf, pipe = traf_round, pipe_round
    return {"pages": len(pages), "trafilatura_ms": 1000 * statistics.fmean(traf),
            "pipeline_ms": 1000 * statistics.fmean(pipe),
            "trafilatura_median_ms": 1000 * statistics.median(traf), "pipeline_median_ms": 1000 * statistics.median(pipe),
            "ratio": sum(pipe) / sum(traf)}


# --- queueing cost -------------------------------------------------------------------------------------------
def queue_cost(requests: int = 2000) -> dict[str, float]:
    """Microseconds of CPU to serialize one article request for the disk queue: Scrapy's callback lookup
    (``inspect.getmembers`` over the spider) against ours (``monitor.crawl.queue.SpiderMethods``)."""
    from scrapy.utils.test import get_crawler

    from monitor.catalogue import Source
    from monitor.crawl.queue import SpiderMethods
    from monitor.feeds import FeedEntry
    from spiders.feed import FeedSpider

    source = Source(name="bench", outlet="Bench", kind="feed", start_urls=("http://127.0.0.1/feed/",))
    result = {}
    with tempfile.TemporaryDirectory(prefix="monitor-queue-cost-") as tmp:
        crawler = get_crawler(FeedSpider.for_source(source), {"MONITOR_MAX_ARTICLES_PER_LISTING": requests,
                                                              "MONITOR_DB_URL": f"sqlite:///{tmp}/bench.sqlite"})
        crawler.spider = spider = crawler._create_spider()
        spider.crawl_since  # noqa: B018 - a cached property Scrapy's lookup reads: warm it, as in a crawl
        batch = list(spider.article_requests([FeedEntry(url=f"http://127.0.0.1/a/{n}") for n in range(requests)]))
        for name, lookup in (("scrapy", spider), ("monitor", SpiderMethods(spider))):
            runs = []
            for _ in range(3):
                started = time.process_time()
                for request in batch:
                    request.to_dict(spider=lookup)
                runs.append((time.process_time() - started) / len(batch) * 1e6)
            result[name] = statistics.median(runs)
    return result


# --- main -------------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--sources", type=int, default=40, help="outlets (feeds); 2,000 pages -> 50 per feed")
    parser.add_argument("--pool", type=int, default=None, help="MONITOR_PROCESS_POOL for (b) (default: settings.py)")
    parser.add_argument("--compare-pool", action="store_true", help="also run (b) with MONITOR_PROCESS_POOL=0")
    parser.add_argument("--cpu-sample", type=int, default=300, help="pages for the in-process CPU measurement")
    parser.add_argument("--memory", type=int, metavar="N", help="only: crawl N articles, print RSS over time")
    parser.add_argument("--shipped-politeness", action="store_true",
                        help="with --memory: settings.py's per-domain limit and AutoThrottle, not the bench's 16 unthrottled")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="with --memory: a Scrapy setting for the crawl (repeatable), e.g. to compare a default")
    parser.add_argument("--queue-cost", action="store_true",
                        help="only: CPU to serialize one request for the disk queue, Scrapy's lookup vs ours")
    parser.add_argument("--quick", action="store_true", help="500 pages, 100 for CPU")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.pages, args.cpu_sample = 500, 100
    if args.queue_cost:
        cost = queue_cost()
        print(f"serialize one article request for the disk queue (median of 3 x 2,000): Scrapy's callback lookup "
              f"{cost['scrapy']:.0f} us, monitor.crawl.queue.SpiderMethods {cost['monitor']:.0f} us "
              f"({cost['scrapy'] / cost['monitor']:.0f}x)")
        return
    with tempfile.TemporaryDirectory(prefix="monitor-throughput-") as tmp:
        root = Path(tmp)
        pages = args.memory or args.pages
        catalogue, paths = build_replica(root, pages, args.sources)
        server, base_url = start_server(root / "sites")
        try:
            if args.memory:
                per_feed = -(-args.memory // args.sources)  # one run follows every entry of its feeds
                report_memory(run_monitor(root, catalogue, base_url, args.pool, rss_every=2.0, progress=True,
                                          shipped_politeness=args.shipped_politeness,
                                          extra={"MONITOR_MAX_ARTICLES_PER_LISTING": max(1000, per_feed),
                                                 **dict(item.split("=", 1) for item in args.set)}), args)
                return
            bare = run_bare(root, base_url, args.sources)
            full = run_monitor(root, catalogue, base_url, args.pool)
            inproc = run_monitor(root, catalogue, base_url, 0) if args.compare_pool else None
            cpu = cpu_per_article(root / "sites", base_url, paths, args.cpu_sample)
        finally:
            server.terminate()
    report(args, bare, full, inproc, cpu)


def report(args: argparse.Namespace, bare: dict, full: dict, inproc: dict | None, cpu: dict) -> None:
    bare_rate = bare["pages"] / bare["seconds"]
    rate = full["pages"] / full["seconds"]
    result = {
        "pages": args.pages, "sources": args.sources,
        "bare": {**bare, "pages_per_s": round(bare_rate, 1)},
        "monitor": {k: v for k, v in full.items() if k != "rss"} | {"pages_per_s": round(rate, 1)},
        "ratio": round(rate / bare_rate, 3), "cpu": cpu,
    }
    if inproc:
        result["monitor_in_process"] = {k: v for k, v in inproc.items() if k != "rss"} | {
            "pages_per_s": round(inproc["pages"] / inproc["seconds"], 1)}
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return
    print(f"replica: {args.pages} article pages, {args.sources} feeds")
    print(f"(a) bare Scrapy:     {bare['pages']:6d} pages in {bare['seconds']:6.1f} s = {bare_rate:7.1f} pages/s")
    print(f"(b) monitor crawl:   {full['pages']:6d} pages in {full['seconds']:6.1f} s = {rate:7.1f} pages/s "
          f"({full['articles']} articles stored, {full['errors']} errors, wall {full['wall']:.1f} s)")
    print(f"    ratio (b)/(a) = {rate / bare_rate:.3f}   (target >= 0.5)")
    print(f"    reactor loop lag (wall): max {full['lag_max_ms']:.0f} ms, p99 {full['lag_p99_ms']:.0f} ms; "
          f"reactor CPU between 10 ms ticks: max {full['cpu_lag_max_ms']:.0f} ms, p99 {full['cpu_lag_p99_ms']:.0f} ms "
          f"(target max <= 100); {full['gc_full_passes']} full GC passes, longest {full['gc_full_max_ms']:.0f} ms, "
          f"{full['gc_collected'] / max(1, full['pages']):.1f} objects in reference cycles per page")
    print(f"    longest single reactor step: {full['step_max_ms']:.0f} ms CPU ({full['step_max_what']}); "
          f"steps over 100 ms: {full['steps_over_100ms']}")
    print(f"    peak RSS: {full['peak_rss'] / 2**20:.0f} MB crawler + pool, {full['peak_main_rss'] / 2**20:.0f} MB crawler")
    if inproc:
        r = inproc["pages"] / inproc["seconds"]
        print(f"(b') pool off:       {inproc['pages']:6d} pages in {inproc['seconds']:6.1f} s = {r:7.1f} pages/s, "
              f"ratio {r / bare_rate:.3f}, lag max {inproc['lag_max_ms']:.0f} ms, p99 {inproc['lag_p99_ms']:.0f} ms, "
              f"reactor CPU max {inproc['cpu_lag_max_ms']:.0f} ms")
    print(f"CPU per article ({cpu['pages']} pages, in process): trafilatura.extract {cpu['trafilatura_ms']:.1f} ms "
          f"(median {cpu['trafilatura_median_ms']:.1f}), pipeline {cpu['pipeline_ms']:.1f} ms "
          f"(median {cpu['pipeline_median_ms']:.1f}); ratio {cpu['ratio']:.2f}x (target <= 1.5x)")


def report_memory(full: dict, args: argparse.Namespace) -> None:
    politeness = "settings.py politeness" if args.shipped_politeness else "bench download settings"
    politeness += "".join(f", {item}" for item in args.set)
    print(f"memory run: {args.memory} article pages behind {args.sources} feeds ({politeness}), "
          f"{full['articles']} stored in {full['seconds']:.0f} s")
    for seconds, rss, main in full["rss"][:: max(1, len(full["rss"]) // 30)]:
        print(f"  t={seconds:6.0f} s  RSS {rss / 2**20:7.0f} MB (crawler {main / 2**20:.0f} MB)")
    print(f"peak RSS {full['peak_rss'] / 2**20:.0f} MB (crawler alone {full['peak_main_rss'] / 2**20:.0f} MB); loop lag max {full['lag_max_ms']:.0f} ms, "
          f"p99 {full['lag_p99_ms']:.0f} ms; reactor CPU between ticks max {full['cpu_lag_max_ms']:.0f} ms; "
          f"{full['gc_full_passes']} full GC passes, longest {full['gc_full_max_ms']:.0f} ms, "
          f"{full['gc_collected'] / max(1, full['pages']):.1f} objects in reference cycles per page; longest single reactor "
          f"step {full['step_max_ms']:.0f} ms ({full['step_max_what']}), {full['steps_over_100ms']} over 100 ms")


if __name__ == "__main__":
    main()
