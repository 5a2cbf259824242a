"""Feed parsing (RSS 0.9x/1.0/2.0, Atom), tolerant of the broken feeds outlets serve.

feedparser does the lenient parsing (wrong encodings, unclosed tags, HTML
entities); this module turns its output into plain entries with absolute URLs and
UTC dates, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin

import feedparser

from monitor.dates import parse_datetime


class FeedError(ValueError):
    """The document is not a feed at all."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One feed item: where the article is and what the feed says about it."""

    url: str
    guid: str | None = None
    title: str | None = None
    published: datetime | None = None
    authors: tuple[str, ...] = ()
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    """A parsed feed."""

    title: str | None
    language: str | None
    entries: list[FeedEntry] = field(default_factory=list)


def parse_feed(body: bytes | str, url: str, *, content_type: str | None = None) -> Feed:
    """Parse a feed document fetched from ``url``; entries come newest first.

    Raises ``FeedError`` when the body holds no feed (an HTML page, an empty or
    binary body). Entries without a usable link are skipped.
    """
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    if isinstance(body, str):
        # feedparser treats a str as a URL or a file name to open: a body that starts with
        # "http://" would be fetched, one that names a file would be read. Bytes are content.
        body = body.encode("utf-8")
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries and not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no RSS or Atom elements"
        raise FeedError(f"{url}: not a feed ({reason})")
    meta = parsed.get("feed", {})
    entries = [entry for entry in (_entry(raw, url) for raw in parsed.entries) if entry is not None]
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    entries.sort(key=lambda e: e.published or oldest, reverse=True)
    return Feed(title=meta.get("title"), language=meta.get("language"), entries=entries)


def _entry(raw: Any, feed_url: str) -> FeedEntry | None:
    link = raw.get("link") or _alternate_link(raw)
    guid = raw.get("id")
    if not link and guid and guid.startswith(("http://", "https://")):
        link = guid
    if not link:
        return None
    # feedparser leaves ``name`` None for some broken author markup: skip such entries, keep the item
    authors = tuple(name for a in raw.get("authors", []) if (name := (a.get("name") or "").strip()))
    if not authors and isinstance(raw.get("author"), str) and raw["author"].strip():
        authors = (raw["author"].strip(),)
    published = None
    for key in ("published", "updated", "created"):
        value = dict.get(raw, key)  # plain lookup: skip feedparser's deprecated updated->published alias
        if value:
            published = parse_datetime(value)
            if published:
                break
    return FeedEntry(
        url=urljoin(feed_url, link.strip()), guid=guid, title=(raw.get("title") or "").strip() or None,
        published=published, authors=authors, summary=raw.get("summary"),
    )


def _alternate_link(raw: Any) -> str | None:
    for link in raw.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return None
