"""WordPress REST API spider: ``/wp-json/wp/v2/posts``, newest first, paged, ``after=`` the last crawl.

Why fetch each article page instead of building the item from the JSON's
``content.rendered``: the page is what every other spider and ``monitor fetch``
extract, so there is one extraction path with the page's JSON-LD, canonical
link, declared language and byline; ``content.rendered`` is often altered by
plugins (paywall teasers, "read more" cuts, page-builder shortcodes) and carries
no language. The cost is one request per *new* article only (stored URLs are
never requested again), and the API page still supplies title, date and author
names as fallbacks, exactly like a feed entry.

The start URL is the posts endpoint, optionally with filters
(``?categories=12``); the spider adds ``per_page``, ``orderby=date``,
``_embed=author``, ``page`` and ``after``. Paging stops at the last page
(``X-WP-TotalPages``, a short page, or WordPress's 400 past the end), at
``max_pages``, or at posts older than ``crawl_since``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import timezone
from typing import Any

import scrapy
from scrapy.http import Response
from w3lib.url import add_or_replace_parameters

from monitor.crawl.failures import count_error
from monitor.dates import parse_datetime
from monitor.feeds import FeedEntry
from spiders.base import SourceSpider

PER_PAGE = 20


class WordPressSpider(SourceSpider):
    """Pages through the posts endpoint and follows each post's ``link``."""

    kind = "wordpress"
    name = "wordpress"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            yield self.page_request(url, 1)

    @property
    def per_page(self) -> int:
        """Posts per API page (``MONITOR_WP_PER_PAGE``, default 20; WordPress allows up to 100)."""
        return max(1, min(100, self.crawler.settings.getint("MONITOR_WP_PER_PAGE", PER_PAGE)))

    def page_request(self, endpoint: str, page: int) -> scrapy.Request:
        params = {"per_page": str(self.per_page), "orderby": "date", "order": "desc", "_embed": "author",
                  "page": str(page)}
        if self.crawl_since is not None:
            params["after"] = self.crawl_since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        return self.listing_request(add_or_replace_parameters(endpoint, params), self.parse_posts,
                                    endpoint=endpoint, page=page, handle_httpstatus_list=[400])

    def parse_posts(self, response: Response) -> Iterator[scrapy.Request]:
        page = response.meta["page"]
        if response.status == 400:  # WordPress: "rest_post_invalid_page_number" past the last page
            return
        try:
            posts = json.loads(response.body)
        except ValueError as exc:
            self.crawler.stats.inc_value("monitor/api_errors")
            count_error(self.crawler, "api_invalid")
            self.logger.error("WordPress API at %s: not JSON (%s)", response.url, exc)
            return
        if not isinstance(posts, list):
            self.crawler.stats.inc_value("monitor/api_errors")
            count_error(self.crawler, "api_invalid")
            self.logger.error("WordPress API at %s: expected a list of posts, got %s", response.url,
                              type(posts).__name__)
            return
        entries = [entry for entry in (post_entry(post) for post in posts) if entry is not None]
        self.crawler.stats.inc_value("monitor/api_posts", len(entries))
        fresh = [entry for entry in entries if not self.is_older(entry.published)]
        yield from self.article_requests(fresh, listing_url=response.url)
        total_pages = int(response.headers.get("X-WP-TotalPages", b"0") or 0)
        last = (len(posts) < self.per_page or (total_pages and page >= total_pages) or len(fresh) < len(entries)
                or page >= self.max_pages())
        if not last:
            yield self.page_request(response.meta["endpoint"], page + 1)


def post_entry(post: Any) -> FeedEntry | None:
    """What a WordPress post object says about its article (None without a link)."""
    if not isinstance(post, dict) or not isinstance(post.get("link"), str):
        return None
    title = post.get("title", {})
    authors = [a.get("name", "") for a in post.get("_embedded", {}).get("author", []) if isinstance(a, dict)]
    date = post.get("date_gmt")
    published = parse_datetime(date + "Z" if isinstance(date, str) and date[-1:].isdigit() else date)
    return FeedEntry(
        url=post["link"], guid=(post.get("guid") or {}).get("rendered") if isinstance(post.get("guid"), dict) else None,
        title=_plain(title.get("rendered")) if isinstance(title, dict) else None,
        published=published, authors=tuple(a.strip() for a in authors if a and a.strip()),
    )


def _plain(html: str | None) -> str | None:
    if not html:
        return None
    from w3lib.html import remove_tags, replace_entities

    return " ".join(replace_entities(remove_tags(html)).split()) or None
