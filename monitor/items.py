"""The article item that flows from spiders through the pipelines.

A plain dataclass, handled through ``itemadapter`` as Scrapy recommends, so that
``monitor fetch`` and tests can build and read it without Scrapy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class ArticleItem:
    """One fetched article page and everything the pipelines learn about it.

    Spiders fill the first block (what the crawl knows); each pipeline stage fills
    its own fields, so a field's owner is always clear.
    """

    # set by the spider
    url: str
    source: str
    html: str | bytes = field(default="", repr=False)
    fetched: datetime | None = None
    guid: str | None = None
    feed_title: str | None = None
    feed_published: datetime | None = None
    feed_authors: list[str] = field(default_factory=list)
    declared_languages: list[str] = field(default_factory=list)
    http_headers: dict[str, str] = field(default_factory=dict)
    # normalize
    canonical_url: str | None = None
    # extract
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    text: str = field(default="", repr=False)
    declared_language: str | None = None
    description: str | None = None
    # dedupe
    content_hash: str | None = None
    duplicate_of: int | None = None
    similarity: float | None = None
    story_id: int | None = None
    revision_of: int | None = None
    signature: bytes | None = field(default=None, repr=False)
    # language
    language: str | None = None
    language_confidence: float | None = None
    language_disagrees: bool = False
    # topics
    topics: list[dict[str, Any]] = field(default_factory=list)
    taxonomy_version: str | None = None
    # store
    article_id: int | None = None
