"""HTML listing spider: article teasers on news-list pages, with pagination.

The catalogue entry's selectors describe the listing: ``teaser`` (one element
per article), ``teaser_link`` (the article link inside a teaser; default the
first ``a[href]``), ``teaser_date`` (its date; default a ``time`` element), and
``next_page`` (the pagination link; default ``rel=next``). Paging stops after
``max_pages`` pages, or at the first page that shows an article older than
``crawl_since`` (the newest stored article, or ``--since`` in a backfill).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin

import scrapy
from parsel import Selector
from scrapy.http import Response, TextResponse

from monitor.catalogue.selectors import node_text, select
from monitor.crawl.failures import count_error
from monitor.dates import parse_datetime
from monitor.feeds import FeedEntry
from spiders.base import SourceSpider

DEFAULT_LINK = "a[href]"
DEFAULT_DATE = "time"
DEFAULT_NEXT = "a[rel~=next], link[rel~=next], li.pager__item--next a, a.next"


class ListingSpider(SourceSpider):
    """Reads listing pages for article links and follows the pagination."""

    kind = "listing"
    name = "listing"

    async def start(self) -> AsyncIterator[Any]:
        for url in self.source.start_urls:
            yield self.listing_request(url, self.parse_listing, page=1)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("monitor/listing_errors")
            count_error(self.crawler, "listing_not_html")
            self.logger.error("listing %s is not an HTML page", response.url)
            return
        entries = listing_entries(response.selector, response.url, self.source.selectors)
        if not self.links_shown(response, (entry.url for entry in entries)):
            self.crawler.stats.inc_value("monitor/listing_empty")
            if entries:
                self.logger.warning("no article links on listing %s: %s", response.url,
                                    self.why_no_links(len(entries), ""))
            else:
                self.logger.warning("no article links on listing %s: do the selectors still match?", response.url)
        fresh = [entry for entry in entries if not self.is_older(entry.published)]
        yield from self.article_requests(fresh, listing_url=response.url)
        page = response.meta.get("page", 1)
        next_url = next_page_url(response.selector, response.url, self.source.selectors.get("next_page"))
        if next_url and len(fresh) == len(entries) and entries:
            if page < self.max_pages():
                yield self.listing_request(next_url, self.parse_listing, page=page + 1)
            else:  # an endless calendar or pagination trap ends here too
                self.crawler.stats.inc_value("monitor/limits/max_pages")
                self.logger.warning("stopped paging at %s: max_pages (%d) reached, next would be %s",
                                    response.url, self.max_pages(), next_url)


def listing_entries(root: Selector, base_url: str, selectors: dict[str, str]) -> list[FeedEntry]:
    """The article links (with title and date where the teaser shows them) on one listing page."""
    entries: dict[str, FeedEntry] = {}
    if "teaser" in selectors:
        for teaser in select(root, selectors["teaser"]):
            link = _first(select(teaser, selectors.get("teaser_link", DEFAULT_LINK)))
            if link is None:
                continue
            href = link.root if isinstance(link.root, str) else link.attrib.get("href")
            if not href or href.startswith(("#", "mailto:", "javascript:")):
                continue
            date_node = _first(select(teaser, selectors.get("teaser_date", DEFAULT_DATE)))
            published = parse_datetime(node_text(date_node)) if date_node is not None else None
            title = None if isinstance(link.root, str) else node_text(link) or None
            url = urljoin(base_url, href.strip())
            entries.setdefault(url, FeedEntry(url=url, title=title, published=published))
    else:
        for link in select(root, selectors["teaser_link"]):
            href = link.root if isinstance(link.root, str) else link.attrib.get("href")
            if href:
                url = urljoin(base_url, href.strip())
                entries.setdefault(url, FeedEntry(url=url, title=None if isinstance(link.root, str) else node_text(link)))
    return list(entries.values())


def next_page_url(root: Selector, base_url: str, selector: str | None) -> str | None:
    """The absolute URL of the next listing page, if the page links one."""
    node = _first(select(root, selector or DEFAULT_NEXT))
    if node is None:
        return None
    href = node.root if isinstance(node.root, str) else node.attrib.get("href")
    return urljoin(base_url, href.strip()) if href else None


def _first(nodes: Any) -> Selector | None:
    return nodes[0] if len(nodes) else None
