"""Scheduling decisions as pure functions: cadence bounds, adaptive intervals, jitter, retries, due lists.

Nothing here reads a clock, sleeps or touches the database: the daemon passes
``now``, a seeded ``random.Random`` and the run history in, and stores what comes
out. So every decision can be tested without waiting.

Cadence: each source starts at its catalogue ``poll_interval_minutes``. A run
that stored new articles shortens the interval (a busy outlet is polled more
often), an empty run lengthens it, always within the entry's
``min_interval_minutes`` / ``max_interval_minutes`` (default: a quarter and four
times the poll interval). A failed run is retried sooner than a routine poll,
backing off exponentially up to the maximum interval.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

SHRINK = 0.75  # a run with new articles: poll this much sooner next time
GROW = 1.25  # an empty run: this much later
DEFAULT_JITTER = 0.1  # +/- share of the interval, so sources polled together drift apart
SUCCESS_STATUSES = frozenset({"finished"})


class ScheduleError(ValueError):
    """A scheduling parameter is out of range; the message names it."""


@dataclass(frozen=True, slots=True)
class Cadence:
    """How often one source may be polled, in seconds: the catalogue's interval and its bounds."""

    base: float
    minimum: float
    maximum: float

    def clamp(self, seconds: float) -> float:
        return min(self.maximum, max(self.minimum, seconds))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one finished crawl of a source did (from ``crawl_runs`` and the process exit)."""

    status: str
    stored: int = 0

    @property
    def ok(self) -> bool:
        return self.status in SUCCESS_STATUSES


def cadence_for(source: Any, scale: float = 1.0) -> Cadence:
    """The cadence of a catalogue ``Source``; ``scale`` shrinks every interval (tests, demos)."""
    if not scale > 0:
        raise ScheduleError(f"interval scale must be > 0, got {scale!r}")
    base = float(source.poll_interval_minutes)
    minimum = float(getattr(source, "min_interval_minutes", None) or max(1.0, base / 4))
    maximum = float(getattr(source, "max_interval_minutes", None) or base * 4)
    if not minimum <= base <= maximum:
        raise ScheduleError(f"source {source.name!r}: need min_interval_minutes ({minimum:g}) <= "
                            f"poll_interval_minutes ({base:g}) <= max_interval_minutes ({maximum:g})")
    return Cadence(base * 60 * scale, minimum * 60 * scale, maximum * 60 * scale)


def adapt_interval(current: float, cadence: Cadence, outcome: Outcome) -> float:
    """The interval after a successful run: shorter when it stored articles, longer when not."""
    if not outcome.ok:
        return cadence.clamp(current)
    return cadence.clamp(current * (SHRINK if outcome.stored > 0 else GROW))


def interval_from_history(outcomes: Iterable[Outcome], cadence: Cadence) -> float:
    """The interval a source has earned from its past runs (oldest first), starting at the base."""
    interval = cadence.base
    for outcome in outcomes:
        interval = adapt_interval(interval, cadence, outcome)
    return interval


def retry_delay(failures: int, cadence: Cadence) -> float:
    """How long to wait before retrying after ``failures`` consecutive failed runs (>= 1)."""
    if failures < 1:
        raise ScheduleError(f"failures must be >= 1, got {failures!r}")
    return min(cadence.maximum, cadence.minimum * 2 ** min(failures - 1, 30))


def jittered(seconds: float, rng: random.Random, fraction: float = DEFAULT_JITTER) -> float:
    """``seconds`` moved by up to +/- ``fraction`` of itself, drawn from ``rng`` (seed it for tests)."""
    if not 0 <= fraction < 1:
        raise ScheduleError(f"jitter must be in [0, 1), got {fraction!r}")
    return seconds * (1 + rng.uniform(-fraction, fraction)) if fraction else seconds


@dataclass(frozen=True, slots=True)
class NextRun:
    """The decision after a run: the interval to keep, when to run next, the failure streak."""

    interval: float
    due: datetime
    failures: int


def next_run(finished: datetime, interval: float, failures: int, cadence: Cadence, outcome: Outcome,
             rng: random.Random, jitter: float = DEFAULT_JITTER) -> NextRun:
    """When a source runs next, given how its last run (ended at ``finished``) went."""
    if outcome.ok:
        new_interval = adapt_interval(interval, cadence, outcome)
        return NextRun(new_interval, finished + timedelta(seconds=jittered(new_interval, rng, jitter)), 0)
    streak = failures + 1
    delay = jittered(retry_delay(streak, cadence), rng, jitter)
    return NextRun(cadence.clamp(interval), finished + timedelta(seconds=delay), streak)


def due_sources(next_due: Mapping[str, datetime], running: Iterable[str], now: datetime) -> list[str]:
    """Sources due at ``now`` and not running, the longest overdue first (then by name)."""
    busy = set(running)
    due = [(when, name) for name, when in next_due.items() if when <= now and name not in busy]
    return [name for _, name in sorted(due)]


def launchable(due: list[str], running: int, concurrency: int) -> list[str]:
    """The due sources that fit under the concurrency bound."""
    if concurrency < 1:
        raise ScheduleError(f"concurrency must be >= 1, got {concurrency!r}")
    return due[: max(0, concurrency - running)]
