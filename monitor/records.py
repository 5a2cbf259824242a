"""Conversions between an ``ArticleItem``, a database row and the printed record."""

from __future__ import annotations

from typing import Any

from monitor.dates import isoformat
from monitor.items import ArticleItem


def article_row(item: ArticleItem, source_id: int) -> dict[str, Any]:
    """The ``articles`` row (plus ``topics``) for the store."""
    return {
        "id": item.article_id, "revision_of": item.revision_of, "signature": item.signature,
        "source_id": source_id, "url": item.url, "canonical_url": item.canonical_url, "guid": item.guid,
        "content_hash": item.content_hash, "title": item.title, "authors": item.authors,
        "published": item.published, "fetched": item.fetched, "language": item.language or "und",
        "language_confidence": item.language_confidence, "declared_language": item.declared_language,
        "description": item.description, "text": item.text, "story_id": item.story_id,
        "duplicate_of": item.duplicate_of, "similarity": item.similarity, "topics": item.topics,
        "taxonomy_version": item.taxonomy_version,
    }


def item_record(item: ArticleItem) -> dict[str, Any]:
    """The record ``monitor fetch`` prints, in the design brief's field order."""
    return {
        "url": item.url, "canonical_url": item.canonical_url, "source": item.source, "title": item.title,
        "authors": item.authors, "published": isoformat(item.published), "language": item.language,
        "language_confidence": item.language_confidence, "declared_language": item.declared_language,
        "topics": item.topics, "story_id": item.story_id, "duplicate_of": item.duplicate_of,
        "similarity": item.similarity, "revision_of": item.revision_of, "article_id": item.article_id,
        "text": item.text,
    }
