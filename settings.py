"""Scrapy settings for the monitor (``scrapy.cfg`` points here).

Values users set come from the environment through ``monitor.config``; the rest
are the defaults a polite news crawler should have.
"""

from monitor.config import load_config

_config = load_config()

BOT_NAME = "monitor"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
SPIDER_LOADER_CLASS = "spiders.loader.CatalogueSpiderLoader"

# --- the monitor's own settings --------------------------------------------------
MONITOR_DB_URL = _config.db_url
MONITOR_CATALOGUE = None  # None: MONITOR_CATALOGUE env var or the bundled catalogue
MONITOR_STORE = True  # False: run the pipeline without writing (monitor fetch --no-store)
MONITOR_STORE_BATCH_SIZE = 100
# Near-duplicates are matched against the newest N stored articles (~1.2 KB of memory each); 0: all of them
MONITOR_STORY_INDEX_SIZE = 100_000
MONITOR_SKIP_SEEN = True  # never download an article that is already stored
MONITOR_REDIS_URL = _config.redis_url  # set: shared "seen" claims and story index (monitor/distributed)
MONITOR_ALERTS = True  # match new and revised articles against every alert as they are stored
# Worker processes for extraction, language, topics and parsing big listings (0: in the crawler; "auto": one per
# available CPU but one, so 1 on a 2-core machine). See monitor/crawl/pool.py. Each worker holds ~160 MB warm,
# ~260 MB in a long crawl (trafilatura, lxml, scipy via datasketch, language profiles).
MONITOR_PROCESS_POOL = "auto"
MONITOR_PARALLEL_CRAWLS = 1  # crawls sharing this machine's CPUs; `monitor schedule` sets it to its --concurrency
# Responses (bytes) each crawler may hold while their items are processed (Scrapy's default: 5 MB). Pages wait
# here for the extract workers; with one crawler per source the default let 40 sources hold ~1 GB of pages.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
MONITOR_LOOP_LAG_INTERVAL = 0.01  # seconds between reactor lag probes (stats monitor/loop_lag/*); 0: off
MONITOR_REACTOR_STEPS = False  # time every reactor callback (stats monitor/reactor/*); costs 2 clock reads each
MONITOR_GC_FREEZE = True  # move the startup heap out of the collector's full passes (monitor/crawl/gcfreeze.py)
MONITOR_TUNE_MALLOC = True  # glibc: 2 arenas, blocks > 128 KB on mmap; less memory kept (monitor/crawl/allocator.py)
# Waiting requests go to a temporary disk queue (monitor/crawl/queue.py): a backfill's queue costs no memory
SCHEDULER = "monitor.crawl.queue.DiskQueueScheduler"
SCHEDULER_DISK_QUEUE = "monitor.crawl.queue.FifoDiskQueue"  # FIFO: a listing's newest entries are fetched first
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
MONITOR_QUEUE_ON_DISK = True
MONITOR_PROGRESS = 0  # seconds between one-line progress reports on stderr (monitor crawl --progress); 0: off

ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.extract.ExtractPipeline": 200,
    "pipelines.dedupe.DedupePipeline": 300,
    "pipelines.store.StorePipeline": 600,
}
DOWNLOADER_MIDDLEWARES = {
    "monitor.crawl.seen.SeenArticleMiddleware": 50,
}
EXTENSIONS = {
    "monitor.crawl.allocator.TuneMalloc": 470,
    "monitor.crawl.gcfreeze.GcFreeze": 480,
    "monitor.crawl.robots_log.QuietRobotsErrors": 485,
    "monitor.crawl.loop_lag.LoopLagProbe": 490,  # before the recorder: its stats are saved at spider close
    "monitor.crawl.reactor_steps.ReactorStepTimer": 495,
    "monitor.crawl.runs.CrawlRunRecorder": 500,
    "monitor.crawl.progress.ProgressReporter": 520,
}

# --- politeness ------------------------------------------------------------------
USER_AGENT = _config.user_agent
ROBOTSTXT_OBEY = True
# Per crawler, i.e. per source. Requests handed to the downloader are fetched even when the scraper backs out,
# and each finished page then waits in memory for the extract workers: 16 (Scrapy's default) let 20 sources
# hold ~310 pages (~220 MB); 4 holds ~170 at the same speed (bench/BENCHMARKS.md, "Memory").
CONCURRENT_REQUESTS = 4
# Scrapy starts this many tasks per response; an article response yields one item (Scrapy's default: 100)
CONCURRENT_ITEMS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.5
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

# --- limits: crawled pages are hostile ---------------------------------------------
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5

LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no listening port per crawl; `monitor status` reads the database
FEED_EXPORT_ENCODING = "utf-8"
