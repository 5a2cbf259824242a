"""Scale-out over Redis: a shared crawl frontier, shared "seen" checks and a shared near-duplicate index.

With ``MONITOR_REDIS_URL`` set, ``monitor crawl --distributed`` seeds each
source's start requests into Redis and N ``monitor worker`` processes (on one or
more machines) pop and crawl them. scrapy-redis provides the request queue and
dupefilter (``scheduler``); ``store`` and ``stories`` share the store's pending
"seen" URLs/hashes and the story index's LSH bands, so every article is stored
once and wire copies found by different workers join one story.
"""
