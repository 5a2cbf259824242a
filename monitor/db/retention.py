"""Retention: delete old ``crawl_runs`` rows, keeping what source health reads.

Every crawl writes one row with its stats (~6 KB), so a scheduler polling 300
outlets every half hour adds ~14,000 a day and ~2 GB a year. Nothing reads old runs
but people looking back: health reads each source's newest 30. ``prune_runs``
deletes runs started before a cutoff, except each source's newest ``keep``, in
batches of separate transactions so crawls writing their rows are never held up.
A run still ``running`` is kept while its crawl may be writing it, but one started more
than ``ABANDONED_AFTER`` ago was left by a killed crawl or worker and is pruned like the rest.
Articles, alert matches and deliveries are never touched: they are the record.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, delete, func, or_, select

from monitor.db.models import CrawlRun

HEALTH_RUNS = 30  # runs per source that source health reads (monitor.catalogue.health.source_health)
DELETE_BATCH = 5_000
# A 'running' row older than this was abandoned (its crawl or worker was killed): no crawl runs this long
# (the longest, a first full sitemap crawl, takes hours), and the row would otherwise never be pruned.
ABANDONED_AFTER = timedelta(days=2)


def runs_to_prune(engine: Engine, before: datetime, keep: int = HEALTH_RUNS, *,
                  now: datetime | None = None) -> list[tuple[int, str]]:
    """(id, source) of the runs started before ``before`` that are not among their source's newest ``keep``
    (nor still running: the crawl would find no row to finish, unless it started more than
    ``ABANDONED_AFTER`` before ``now``, default the current time: then it was abandoned)."""
    if keep < 0:
        raise ValueError(f"prune_runs: keep must be 0 or more, got {keep}")
    abandoned = (now or datetime.now(timezone.utc)) - ABANDONED_AFTER
    newest_first = func.row_number().over(partition_by=CrawlRun.source,
                                          order_by=(CrawlRun.started.desc(), CrawlRun.id.desc()))
    ranked = select(CrawlRun.id, CrawlRun.source, CrawlRun.started, CrawlRun.status,
                    newest_first.label("rank")).subquery()
    with engine.connect() as connection:
        return [(row.id, row.source) for row in connection.execute(
            select(ranked.c.id, ranked.c.source).where(ranked.c.started < before, ranked.c.rank > keep,
                                                       or_(ranked.c.status != "running",  # its crawl still writes it
                                                           ranked.c.started < abandoned))
            .order_by(ranked.c.id))]


def prune_runs(engine: Engine, before: datetime, *, keep: int = HEALTH_RUNS, dry_run: bool = False) -> Counter[str]:
    """Delete the runs ``runs_to_prune`` names (unless ``dry_run``); returns how many per source."""
    doomed = runs_to_prune(engine, before, keep)
    if not dry_run:
        for start in range(0, len(doomed), DELETE_BATCH):
            with engine.begin() as connection:
                connection.execute(delete(CrawlRun).where(
                    CrawlRun.id.in_([run_id for run_id, _ in doomed[start:start + DELETE_BATCH]])))
    return Counter(source for _, source in doomed)
