"""The registry of spider kinds a catalogue entry can name."""

from __future__ import annotations

from monitor.catalogue import CatalogueError, Source
from spiders.base import SourceSpider
from spiders.feed import FeedSpider
from spiders.listing import ListingSpider
from spiders.sitemap import SitemapSpider
from spiders.wordpress import WordPressSpider

KIND_SPIDERS: dict[str, type[SourceSpider]] = {
    "feed": FeedSpider,
    "sitemap": SitemapSpider,
    "wordpress": WordPressSpider,
    "listing": ListingSpider,
}


def spider_class_for(source: Source) -> type[SourceSpider]:
    """The kind spider for ``source``; an unsupported kind is a catalogue error."""
    try:
        return KIND_SPIDERS[source.kind]
    except KeyError:
        raise CatalogueError(
            f"source {source.name!r}: kind {source.kind!r} has no spider "
            f"(available: {', '.join(KIND_SPIDERS)}; site modules use kind = \"module\" and spider = NAME)"
        ) from None
