"""Reading and writing ``schedule_state``, and reading run outcomes from ``crawl_runs``.

Every write is one short transaction, so ``monitor status`` (another process)
always sees a consistent row, and a scheduler killed mid-round restarts from
what is stored: jobs marked running by a dead scheduler are recovered as
crashed and retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, desc, select, update

from monitor.db.models import CrawlRun
from monitor.db.upsert import insert_ignoring_conflicts
from monitor.schedule.models import ScheduleState
from monitor.schedule.policy import Cadence, Outcome, interval_from_history

HISTORY_RUNS = 10  # runs of crawl_runs history a new schedule row learns its interval from


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def ensure_sources(engine: Engine, cadences: dict[str, Cadence], now: datetime) -> None:
    """Add a row for every source that has none: due now, interval learnt from its crawl history."""
    with engine.begin() as connection:
        known = set(connection.execute(select(ScheduleState.source)).scalars())
        rows = []
        for name, cadence in cadences.items():
            if name in known:
                continue
            history = [Outcome(r.status, r.items_stored or 0) for r in reversed(connection.execute(
                select(CrawlRun.status, CrawlRun.items_stored).where(CrawlRun.source == name)
                .order_by(desc(CrawlRun.started)).limit(HISTORY_RUNS)).all())]
            rows.append({"source": name, "interval_seconds": interval_from_history(history, cadence),
                         "next_due": now, "status": "idle", "last_stored": 0, "failures": 0, "updated": now})
        if rows:
            connection.execute(insert_ignoring_conflicts(connection, ScheduleState.__table__, ["source"]), rows)


def load_states(engine: Engine) -> dict[str, ScheduleState]:
    """Every schedule row, by source name (detached plain objects)."""
    with engine.connect() as connection:
        rows = connection.execute(select(ScheduleState.__table__)).all()
    return {row.source: ScheduleState(**row._mapping) for row in rows}


def mark_running(engine: Engine, source: str, job: str, started: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(update(ScheduleState).where(ScheduleState.source == source).values(
            status="running", job=job, last_started=started, updated=started))


def mark_done(engine: Engine, source: str, *, finished: datetime, outcome: Outcome, interval: float,
              next_due: datetime, failures: int, error: str | None) -> None:
    with engine.begin() as connection:
        connection.execute(update(ScheduleState).where(ScheduleState.source == source).values(
            status="idle" if outcome.ok else "failed", job=None, last_finished=finished,
            last_status=outcome.status[:40], last_stored=outcome.stored, failures=failures, last_error=error,
            interval_seconds=interval, next_due=next_due, updated=finished))


@dataclass(frozen=True, slots=True)
class RunRecord:
    """The ``crawl_runs`` row a launched job left (None fields when it left none)."""

    status: str | None
    stored: int
    run_id: int | None


def run_outcome(engine: Engine, source: str, since: datetime) -> RunRecord:
    """The latest crawl run of ``source`` started at or after ``since`` (a job's launch time)."""
    with engine.connect() as connection:
        row = connection.execute(
            select(CrawlRun.id, CrawlRun.status, CrawlRun.items_stored)
            .where(CrawlRun.source == source, CrawlRun.started >= since - timedelta(seconds=1))
            .order_by(desc(CrawlRun.started)).limit(1)).first()
    return RunRecord(row.status, row.items_stored or 0, row.id) if row else RunRecord(None, 0, None)


def mark_crashed(engine: Engine, run_id: int, reason: str) -> None:
    """A run whose process died left a ``running`` row: record it as crashed."""
    with engine.begin() as connection:
        connection.execute(update(CrawlRun).where(CrawlRun.id == run_id, CrawlRun.status == "running").values(
            status="crashed", finished=now_utc(), stats={"crash": reason[:500]}))


def status_rows(engine: Engine, now: datetime) -> list[dict[str, Any]]:
    """What ``monitor status`` prints: each source's state, derived view (due/running/broken/scheduled)."""
    states = load_states(engine)
    rows = []
    for name in sorted(states):
        s = states[name]
        if s.status == "running":
            state = "running"
        elif s.failures:
            state = "broken"
        elif s.next_due <= now:
            state = "due"
        else:
            state = "scheduled"
        rows.append({
            "source": name, "state": state, "next_due": s.next_due.isoformat(),
            "due_in_seconds": round((s.next_due - now).total_seconds()),
            "interval_minutes": round(s.interval_seconds / 60, 2), "job": s.job,
            "last_started": s.last_started.isoformat() if s.last_started else None,
            "last_finished": s.last_finished.isoformat() if s.last_finished else None,
            "last_status": s.last_status, "last_stored": s.last_stored, "failures": s.failures,
            "last_error": s.last_error,
        })
    return rows
