"""Sitemap parsing: urlsets, sitemap indexes, gzip, and the Google News extension.

Scrapy's ``scrapy.utils.sitemap.Sitemap`` keeps only direct children of ``<url>``
and so loses ``<news:publication_date>`` and ``<news:title>``, which are what a
news sitemap is for; this module reads them with lxml (recovering from broken
XML, never resolving entities) and hands back plain entries with UTC dates,
newest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin
import zlib

import lxml.etree

from monitor.dates import parse_datetime

GZIP_MAGIC = b"\x1f\x8b"
MAX_UNCOMPRESSED = 50 * 1024 * 1024  # the sitemap protocol's own limit

__all__ = ["Sitemap", "SitemapEntry", "SitemapError", "parse_sitemap"]


class SitemapError(ValueError):
    """The document is not a sitemap."""


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One ``<url>`` or ``<sitemap>``: where, when it changed, and what the news extension says."""

    loc: str
    lastmod: datetime | None = None
    title: str | None = None
    published: datetime | None = None
    language: str | None = None

    @property
    def date(self) -> datetime | None:
        """The best date to order and filter by: the news publication date, else ``lastmod``."""
        return self.published or self.lastmod


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap: ``kind`` is ``urlset`` or ``sitemapindex``."""

    kind: str
    entries: list[SitemapEntry] = field(default_factory=list)


def parse_sitemap(body: bytes, url: str) -> Sitemap:
    """Parse a (possibly gzipped) sitemap fetched from ``url``; entries come newest first."""
    if body[:2] == GZIP_MAGIC:
        try:
            body = gunzip(body, max_size=MAX_UNCOMPRESSED)
        except (zlib.error, ValueError) as exc:
            raise SitemapError(f"{url}: broken gzip data ({exc})") from exc
    parser = lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True, remove_comments=True,
                                  huge_tree=False)
    try:
        root = lxml.etree.fromstring(body, parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise SitemapError(f"{url}: not XML ({exc})") from exc
    if root is None or _local(root.tag) not in ("urlset", "sitemapindex"):
        found = _local(root.tag) if root is not None else "nothing"
        raise SitemapError(f"{url}: not a sitemap (root element {found!r})")
    kind = _local(root.tag)
    entries = [entry for entry in (_entry(el, url) for el in root if _local(el.tag) in ("url", "sitemap")) if entry]
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    entries.sort(key=lambda e: e.date or oldest, reverse=True)
    return Sitemap(kind=kind, entries=entries)


def gunzip(data: bytes, max_size: int) -> bytes:
    """Decompress gzip ``data``, every member of it, refusing more than ``max_size`` bytes (a gzip bomb).

    Like Scrapy's ``gunzip``, a truncated file gives what it holds (the XML parser
    recovers); it is not used because sitemaps are parsed in extract workers,
    which do not load Scrapy.
    """
    out: list[bytes] = []
    size = 0
    while data[:2] == GZIP_MAGIC:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            chunk = decompressor.decompress(data, max_size - size + 1)
        except zlib.error:
            if out:
                break
            raise
        size += len(chunk)
        out.append(chunk)
        if size > max_size:
            raise ValueError(f"more than {max_size} bytes uncompressed")
        if not decompressor.eof:
            if size == 0:
                raise ValueError("truncated gzip data")
            break
        data = decompressor.unused_data.lstrip(b"\0")
    return b"".join(out)


def _entry(element: lxml.etree._Element, base: str) -> SitemapEntry | None:
    values: dict[str, str] = {}
    for child in element.iter():
        if not isinstance(child.tag, str) or child is element:
            continue
        name = _local(child.tag)
        if name not in values and child.text and child.text.strip():
            values[name] = child.text.strip()
    loc = values.get("loc")
    if not loc:
        return None
    return SitemapEntry(
        loc=urljoin(base, loc), lastmod=parse_datetime(values.get("lastmod")),
        title=values.get("title"), published=parse_datetime(values.get("publication_date")),
        language=values.get("language"),
    )


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""
