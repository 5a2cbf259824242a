"""The base of every source spider: how an article page becomes an ``ArticleItem``.

Kind spiders (feed, sitemap, ...) only discover article URLs; they hand each one
to ``article_request`` and this class turns the response into an item. Site
modules subclass a kind spider and override discovery, never the item shape.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse

from monitor.catalogue import Source
from monitor.feeds import FeedEntry
from monitor.items import ArticleItem

ARTICLE_META = "monitor_article"


class SourceSpider(scrapy.Spider):
    """A spider bound to one catalogue entry (``source``)."""

    kind: ClassVar[str] = ""
    source: ClassVar[Source]

    @classmethod
    def for_source(cls, source: Source) -> type["SourceSpider"]:
        """A subclass named after ``source``, with its politeness overrides applied."""
        attrs: dict[str, Any] = {"name": source.name, "source": source, "__module__": cls.__module__}
        settings: dict[str, Any] = {}
        if "download_delay" in source.politeness:
            attrs["download_delay"] = float(source.politeness["download_delay"])
        if "concurrency" in source.politeness:
            settings["CONCURRENT_REQUESTS_PER_DOMAIN"] = int(source.politeness["concurrency"])
        if settings:
            attrs["custom_settings"] = settings
        return type(f"{cls.__name__}_{source.name.replace('-', '_')}", (cls,), attrs)

    def article_request(self, url: str, *, entry: FeedEntry | None = None, priority: int = 0,
                        declared_language: str | None = None) -> scrapy.Request:
        """A request for one article page; the seen-URL middleware may skip it."""
        return scrapy.Request(
            url, callback=self.parse_article, priority=priority,
            meta={ARTICLE_META: True, "feed_entry": entry, "declared_language": declared_language},
        )

    def parse_article(self, response: Response) -> Any:
        """Turn an article response into an ``ArticleItem`` for the pipelines."""
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("monitor/non_text_response")
            self.logger.warning("skipped %s: not a text page (Content-Type %s)", response.url,
                                response.headers.get("Content-Type", b"").decode("latin-1") or "missing")
            return
        entry: FeedEntry | None = response.meta.get("feed_entry")
        declared = [response.meta["declared_language"]] if response.meta.get("declared_language") else []
        yield ArticleItem(
            url=response.url,
            source=self.source.name,
            html=response.text,
            fetched=datetime.now(timezone.utc),
            guid=entry.guid if entry else None,
            feed_title=entry.title if entry else None,
            feed_published=entry.published if entry else None,
            feed_authors=list(entry.authors) if entry else [],
            declared_languages=declared + list(self.source.languages),
        )
