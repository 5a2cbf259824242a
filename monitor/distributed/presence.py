"""Which workers are alive: each worker spider keeps a heartbeat in one Redis sorted set.

``{prefix}:workers`` maps ``host:pid:spider`` to the time of its last poll. An
operator (``monitor status``) or a test sees who is crawling; a worker that
crashed drops out after ``STALE_SECONDS`` without anyone cleaning up, and its entry
is deleted by the next heartbeat of any worker an hour later (``FORGET_SECONDS``), so
the set does not grow by one entry per crashed process for ever.
"""

from __future__ import annotations

import os
import socket
import time

import redis

STALE_SECONDS = 10.0
FORGET_SECONDS = 3600.0


def workers_key(prefix: str) -> str:
    return f"{prefix}:workers"


def member_name(spider_name: str) -> str:
    """This process's entry for one spider: ``host:pid:spider``."""
    return f"{socket.gethostname()}:{os.getpid()}:{spider_name}"


def heartbeat(conn: redis.Redis, prefix: str, member: str) -> None:
    now = time.time()
    pipe = conn.pipeline(transaction=False)
    pipe.zadd(workers_key(prefix), {member: now})
    pipe.zremrangebyscore(workers_key(prefix), "-inf", now - FORGET_SECONDS)
    pipe.execute()


def leave(conn: redis.Redis, prefix: str, member: str) -> None:
    conn.zrem(workers_key(prefix), member)


def live_workers(conn: redis.Redis, prefix: str, *, within: float = STALE_SECONDS) -> list[str]:
    """Entries that polled in the last ``within`` seconds, oldest heartbeat first."""
    members = conn.zrangebyscore(workers_key(prefix), time.time() - within, "+inf")
    return [m.decode() if isinstance(m, bytes) else m for m in members]
