"""Normalization of a crawled item before extraction: identity, dates, required fields."""

from __future__ import annotations

from datetime import datetime, timezone

from monitor.dates import parse_datetime
from monitor.items import ArticleItem
from monitor.urls import InvalidURLError, canonicalize_url


class MissingFieldError(ValueError):
    """A field every article needs is missing or unusable."""


def normalize_item(item: ArticleItem) -> ArticleItem:
    """Fill ``canonical_url``, make every date UTC-aware, and check required fields."""
    if not item.source:
        raise MissingFieldError("field 'source' is empty")
    if not item.html:
        raise MissingFieldError("empty body")
    try:
        item.canonical_url = canonicalize_url(item.url)
    except InvalidURLError as exc:
        raise MissingFieldError(str(exc)) from exc
    item.fetched = to_utc(item.fetched) or datetime.now(timezone.utc)
    item.feed_published = to_utc(item.feed_published)
    item.feed_authors = [a.strip() for a in item.feed_authors if a and a.strip()]
    item.declared_languages = [code.lower() for code in item.declared_languages if code]
    return item


def to_utc(value: datetime | str | None) -> datetime | None:
    """A UTC-aware datetime from a datetime (naive means UTC) or a date string."""
    if value is None:
        return None
    if isinstance(value, str):
        return parse_datetime(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
