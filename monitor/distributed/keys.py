"""Redis connection and key names, all under one prefix (``MONITOR_REDIS_PREFIX``, default ``monitor``).

One prefix per deployment (or per test run) keeps several monitors, or parallel
test runs, apart on one Redis server; ``clear`` removes everything under it.
"""

from __future__ import annotations

import os
from functools import lru_cache

import redis

DEFAULT_PREFIX = "monitor"


def redis_prefix(prefix: str | None = None) -> str:
    return prefix or os.environ.get("MONITOR_REDIS_PREFIX") or DEFAULT_PREFIX


@lru_cache(maxsize=8)
def client(url: str) -> redis.Redis:
    """One client (connection pool) per URL per process; bytes in and out."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"MONITOR_REDIS_URL {url!r}: expected redis://HOST:PORT/DB")
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, retry_on_timeout=True)


def clear(url: str, prefix: str) -> int:
    """Delete every key under ``prefix``; returns how many."""
    conn = client(url)
    keys = list(conn.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        conn.delete(*keys[start:start + 1000])
    return len(keys)
