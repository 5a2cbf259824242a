"""Reading and writing ``schedule_state``, and reading run outcomes from ``crawl_runs``.

Every write is one short transaction, so ``monitor status`` (another process)
always sees a consistent row, and a scheduler killed mid-round restarts from
what is stored: jobs marked running by a dead scheduler are recovered as
crashed and retried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, desc, select, update

from monitor.db.models import CrawlRun
from monitor.db.upsert import insert_ignoring_conflicts
from monitor.schedule.models import ScheduleState
from monitor.schedule.policy import SUCCESS_STATUSES, Cadence, Outcome, interval_from_history

HISTORY_RUNS = 10  # polls of crawl_runs history a new schedule row learns its interval from
HISTORY_ROWS = 500  # crawl_runs rows read to find them (a distributed poll leaves one row per worker)


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
            history = history_outcomes(connection.execute(
                select(CrawlRun.started, CrawlRun.finished, CrawlRun.status, CrawlRun.items_stored, CrawlRun.stats)
                .where(CrawlRun.source == name).order_by(desc(CrawlRun.started)).limit(HISTORY_ROWS)).all())
            rows.append({"source": name, "interval_seconds": interval_from_history(history, cadence),
                         "next_due": now, "status": "idle", "last_stored": 0, "failures": 0, "updated": now})
        if rows:
            connection.execute(insert_ignoring_conflicts(connection, ScheduleState.__table__, ["source"]), rows)


def history_outcomes(runs: Iterable[Any], polls: int = HISTORY_RUNS) -> list[Outcome]:
    """The last ``polls`` polls of a source (oldest first) from its ``crawl_runs`` rows (any order; each with
    ``started``, ``finished``, ``status``, ``items_stored``, ``stats``).

    A row that sent no request (``downloader/request_count`` 0: an idle distributed worker,
    a crawl that died at start) polled nothing and is left out; rows whose times overlap are
    one poll (a distributed round: a row per worker), which stored their sum and succeeded
    when each did. Why: counting each worker's row as a poll, idle ones as empty polls,
    lengthened the interval learnt at the scheduler's first start as if the outlet were quiet.
    """
    polled = sorted((r for r in runs if (r.stats or {}).get("downloader/request_count")), key=lambda r: r.started)
    rounds: list[tuple[datetime, str, int]] = []  # (end of the round so far, status, stored)
    for run in polled:
        end = max(run.finished or run.started, run.started)
        if rounds and run.started <= rounds[-1][0]:
            last_end, status, stored = rounds[-1]
            rounds[-1] = (max(last_end, end), status if status not in SUCCESS_STATUSES else run.status,
                          stored + (run.items_stored or 0))
        else:
            rounds.append((end, run.status, run.items_stored or 0))
    return [Outcome(status, stored) for _, status, stored in rounds[-polls:]]


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
    stats: dict[str, Any] = field(default_factory=dict)


def run_outcome(engine: Engine, source: str, since: datetime) -> RunRecord:
    """The latest crawl run of ``source`` started at or after ``since`` (a job's launch time)."""
    with engine.connect() as connection:
        row = connection.execute(
            select(CrawlRun.id, CrawlRun.status, CrawlRun.items_stored, CrawlRun.stats)
            .where(CrawlRun.source == source, CrawlRun.started >= since - timedelta(seconds=1))
            .order_by(desc(CrawlRun.started)).limit(1)).first()
    if row is None:
        return RunRecord(None, 0, None)
    return RunRecord(row.status, row.items_stored or 0, row.id, row.stats or {})


def mark_crashed(engine: Engine, run_id: int, reason: str) -> None:
    """A run whose process died left a ``running`` row: record it as crashed."""
    with engine.begin() as connection:
        connection.execute(update(CrawlRun).where(CrawlRun.id == run_id, CrawlRun.status == "running").values(
            status="crashed", finished=now_utc(), stats={"crash": reason[:500]}))


def status_rows(engine: Engine, now: datetime, catalogue: Mapping[str, float] | None = None, *,
                removed: bool = False) -> list[dict[str, Any]]:
    """What ``monitor status`` prints: each source's state (due/running/broken/scheduled), by name.

    ``catalogue`` (source name to poll interval in minutes) chooses the sources: its
    sources without a schedule row yet are ``due`` (the scheduler has not run them:
    ``"scheduled": false``, no next due time); rows of sources no longer in it are left
    out, or with ``removed`` listed as ``removed`` (no next due time: nothing will run
    them). Why: a source taken out of the catalogue keeps its row (its history), and
    must not stay "broken" and overdue forever. Without ``catalogue``: every row.
    """
    states = load_states(engine)
    names = set(states) if catalogue is None else set(catalogue) | (set(states) if removed else set())
    rows = []
    for name in sorted(names):
        if name not in states:
            rows.append(_unscheduled_row(name, catalogue[name] if catalogue else 0.0))
        elif catalogue is not None and name not in catalogue:
            rows.append(_state_row(states[name], "removed", now, in_catalogue=False))
        else:
            rows.append(_state_row(states[name], _state(states[name], now), now, in_catalogue=True))
    return rows


def not_in_catalogue(engine: Engine, catalogue: Iterable[str]) -> list[str]:
    """Sources with a schedule row but no entry in ``catalogue`` (removed from it, or another catalogue's)."""
    return sorted(set(load_states(engine)) - set(catalogue))


def _state(s: ScheduleState, now: datetime) -> str:
    if s.status == "running":
        return "running"
    if s.failures:
        return "broken"
    return "due" if s.next_due <= now else "scheduled"


def _state_row(s: ScheduleState, state: str, now: datetime, *, in_catalogue: bool) -> dict[str, Any]:
    """One ``status_rows`` row from a schedule row; times to the second (no microseconds)."""
    live = state != "removed"
    return {
        "source": s.source, "state": state, "in_catalogue": in_catalogue, "scheduled": True,
        "next_due": _when(s.next_due) if live else None,
        "due_in_seconds": round((s.next_due - now).total_seconds()) if live else None,
        "interval_minutes": round(s.interval_seconds / 60, 2), "job": s.job,
        "last_started": _when(s.last_started), "last_finished": _when(s.last_finished),
        "last_status": s.last_status, "last_stored": s.last_stored, "failures": s.failures,
        "last_error": s.last_error,
    }


def _unscheduled_row(name: str, interval_minutes: float) -> dict[str, Any]:
    """A catalogue source the scheduler has not seen yet: due now, at its catalogue interval."""
    return {"source": name, "state": "due", "in_catalogue": True, "scheduled": False, "next_due": None,
            "due_in_seconds": 0, "interval_minutes": interval_minutes, "job": None, "last_started": None,
            "last_finished": None, "last_status": None, "last_stored": 0, "failures": 0, "last_error": None}


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None
