"""Tests for monitor.dates: every stored date is tz-aware UTC and printable as ISO 8601."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from monitor.dates import isoformat, parse_datetime

CET = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-12T10:30:00+01:00", datetime(2024, 3, 12, 9, 30, tzinfo=timezone.utc)),
        ("2024-03-12T09:30:00Z", datetime(2024, 3, 12, 9, 30, tzinfo=timezone.utc)),
        ("2024-03-12 09:30:00", datetime(2024, 3, 12, 9, 30, tzinfo=timezone.utc)),
        ("Tue, 12 Mar 2024 10:30:00 +0100", datetime(2024, 3, 12, 9, 30, tzinfo=timezone.utc)),
        ("12 March 2024 10:30 CET", datetime(2024, 3, 12, 9, 30, tzinfo=timezone.utc)),
        ("2024-03-12", datetime(2024, 3, 12, tzinfo=timezone.utc)),
        ("1710235800", datetime(2024, 3, 12, 9, 30, tzinfo=timezone.utc)),
        ("1710235800000", datetime(2024, 3, 12, 9, 30, tzinfo=timezone.utc)),
    ],
)
def test_parses_common_shapes_to_utc(value: str, expected: datetime) -> None:
    result = parse_datetime(value)
    assert result == expected
    assert result is not None and result.utcoffset() == timedelta(0)


def test_naive_values_use_default_tz() -> None:
    assert parse_datetime("2024-03-12 10:30", default_tz=CET) == datetime(2024, 3, 12, 9, 30, tzinfo=timezone.utc)
    assert parse_datetime(datetime(2024, 3, 12, 10, 30), default_tz=CET) == datetime(2024, 3, 12, 9, 30,
                                                                                       tzinfo=timezone.utc)
    assert parse_datetime(date(2024, 3, 12)) == datetime(2024, 3, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize("value", [None, "", "   ", "yesterday", "Monday 5", "not a date 99", "1985-06-01",
                                   "0001-01-01T00:00:00Z", "2999-01-01"])
def test_rejects_absent_unparseable_and_absurd(value: str | None) -> None:
    assert parse_datetime(value) is None


def test_rejects_far_future_but_allows_near_future() -> None:
    now = datetime.now(timezone.utc)
    assert parse_datetime((now + timedelta(days=30)).isoformat()) is None
    assert parse_datetime((now + timedelta(hours=20)).isoformat()) is not None


def test_wrong_type_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="parse_datetime"):
        parse_datetime(12345)  # type: ignore[arg-type]


def test_isoformat_has_offset() -> None:
    assert isoformat(datetime(2024, 3, 12, 9, 30, tzinfo=timezone.utc)) == "2024-03-12T09:30:00+00:00"
    assert isoformat(datetime(2024, 3, 12, 9, 30)) == "2024-03-12T09:30:00+00:00"
    assert isoformat(None) is None
    parsed = parse_datetime(isoformat(parse_datetime("2024-03-12T10:30:00+01:00")))
    assert parsed == datetime(2024, 3, 12, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1985-06-01", datetime(1985, 6, 1, tzinfo=timezone.utc)),
        ("2999-01-01", datetime(2999, 1, 1, tzinfo=timezone.utc)),
        ("1850-03-01T12:00:00+01:00", datetime(1850, 3, 1, 11, tzinfo=timezone.utc)),
    ],
)
def test_plausible_false_accepts_any_real_date(value: str, expected: datetime) -> None:
    assert parse_datetime(value) is None  # from a page: absurd
    assert parse_datetime(value, plausible=False) == expected  # typed by a user (--since): meant


@pytest.mark.parametrize("value", ["yesterday", "Monday 5", "2024-13-45", "0001-01-01T00:00:00+05:00"])
def test_plausible_false_still_rejects_what_is_no_date(value: str) -> None:
    assert parse_datetime(value, plausible=False) is None
