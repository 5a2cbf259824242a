"""Scheduling decisions, tested without sleeping: cadence bounds, adaptation, jitter, retries, due lists."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.catalogue import CatalogueError, Source, parse_entry
from monitor.schedule.policy import (Cadence, Outcome, ScheduleError, adapt_interval, cadence_for, due_sources,
                                     interval_from_history, jittered, launchable, next_run, retry_delay)

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
HOURLY = Cadence(base=3600.0, minimum=900.0, maximum=14400.0)


def source(**kwargs: object) -> Source:
    return Source(name="b2", outlet="B2", kind="feed", start_urls=("https://b2.eu/feed/",), **kwargs)  # type: ignore[arg-type]


def test_cadence_comes_from_the_catalogue_interval_with_default_bounds_and_scale() -> None:
    assert cadence_for(source(poll_interval_minutes=60)) == HOURLY
    scaled = cadence_for(source(poll_interval_minutes=60), scale=0.001)
    assert scaled.base == pytest.approx(3.6) and scaled.minimum == pytest.approx(0.9)
    with pytest.raises(ScheduleError, match="scale"):
        cadence_for(source(), scale=0)


def test_catalogue_bounds_are_read_and_checked() -> None:
    entry = {"name": "b2", "kind": "feed", "start_urls": ["https://b2.eu/feed/"], "poll_interval_minutes": 30}
    bounded = parse_entry({**entry, "min_interval_minutes": 10, "max_interval_minutes": 120}, where="cat.toml: entry 1")
    assert cadence_for(bounded) == Cadence(1800.0, 600.0, 7200.0)
    with pytest.raises(CatalogueError, match="entry 1 .b2.: field 'poll_interval_minutes'"):
        parse_entry({**entry, "min_interval_minutes": 45}, where="cat.toml: entry 1")
    with pytest.raises(CatalogueError, match="field 'max_interval_minutes'"):
        parse_entry({**entry, "max_interval_minutes": 0}, where="cat.toml: entry 1")


def test_explicit_bounds_are_used_and_checked() -> None:
    class Bounded:
        name, poll_interval_minutes, min_interval_minutes, max_interval_minutes = "x", 30, 10, 120

    assert cadence_for(Bounded()) == Cadence(1800.0, 600.0, 7200.0)
    Bounded.min_interval_minutes = 45
    with pytest.raises(ScheduleError, match="'x'.*min_interval_minutes"):
        cadence_for(Bounded())


def test_busy_sources_are_polled_sooner_and_quiet_ones_later_within_bounds() -> None:
    assert adapt_interval(3600, HOURLY, Outcome("finished", 5)) == 2700
    assert adapt_interval(3600, HOURLY, Outcome("finished", 0)) == 4500
    assert interval_from_history([Outcome("finished", 3)] * 20, HOURLY) == HOURLY.minimum
    assert interval_from_history([Outcome("finished", 0)] * 20, HOURLY) == HOURLY.maximum
    assert adapt_interval(3600, HOURLY, Outcome("crashed", 0)) == 3600  # a failure says nothing about the rate


def test_failures_back_off_exponentially_up_to_the_maximum() -> None:
    delays = [retry_delay(n, HOURLY) for n in range(1, 8)]
    assert delays[:3] == [900, 1800, 3600]
    assert delays == sorted(delays) and delays[-1] == HOURLY.maximum
    with pytest.raises(ScheduleError):
        retry_delay(0, HOURLY)


@given(st.integers(), st.floats(min_value=1, max_value=1e6), st.floats(min_value=0, max_value=0.99))
def test_jitter_stays_within_its_share_and_is_reproducible(seed: int, seconds: float, fraction: float) -> None:
    first = jittered(seconds, random.Random(seed), fraction)
    assert seconds * (1 - fraction) - 1e-6 <= first <= seconds * (1 + fraction) + 1e-6
    assert jittered(seconds, random.Random(seed), fraction) == first


def test_next_run_after_success_and_after_a_crash() -> None:
    rng = random.Random(7)
    ok = next_run(T0, 3600, 2, HOURLY, Outcome("finished", 4), rng, jitter=0)
    assert (ok.interval, ok.due, ok.failures) == (2700, T0 + timedelta(seconds=2700), 0)
    crashed = next_run(T0, 3600, 2, HOURLY, Outcome("crashed"), rng, jitter=0)
    assert crashed.failures == 3 and crashed.due == T0 + timedelta(seconds=3600) and crashed.interval == 3600
    jittered_run = next_run(T0, 3600, 0, HOURLY, Outcome("finished", 0), random.Random(1), jitter=0.1)
    assert T0 + timedelta(seconds=4050) <= jittered_run.due <= T0 + timedelta(seconds=4950)
    assert jittered_run.due == next_run(T0, 3600, 0, HOURLY, Outcome("finished", 0), random.Random(1)).due


def test_due_sources_are_ordered_and_bounded_by_concurrency() -> None:
    due = {"a": T0, "b": T0 - timedelta(minutes=5), "c": T0 + timedelta(seconds=1), "d": T0 - timedelta(hours=1)}
    assert due_sources(due, running=["d"], now=T0) == ["b", "a"]
    assert launchable(["b", "a"], running=1, concurrency=2) == ["b"]
    assert launchable(["b", "a"], running=3, concurrency=2) == []
    with pytest.raises(ScheduleError):
        launchable([], 0, 0)
