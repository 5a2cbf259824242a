"""Article extraction: body text plus metadata from one HTML page.

``extract_article`` is the single entry point used by the Scrapy pipeline and the
``monitor extract`` / ``monitor fetch`` commands. The page is decoded and parsed
once; the same lxml tree feeds the metadata readers (JSON-LD, OpenGraph, meta
tags, bylines) and trafilatura's body extraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml.html import HtmlElement

from .authors import find_authors
from .body import extract_body
from .encoding import decode_html
from .jsonld import read_jsonld
from .metadata import find_canonical, find_language, find_published, find_title, first_text, meta_map, site_names
from .parser import load_tree

__all__ = ["Extracted", "extract_article", "parse_html"]


@dataclass(frozen=True, slots=True)
class Extracted:
    """What the monitor keeps from an article page."""

    title: str | None
    authors: list[str]
    published: datetime | None
    text: str
    language: str | None
    canonical_url: str | None
    description: str | None
    site_name: str | None


def parse_html(html: str | bytes) -> HtmlElement:
    """Decode and parse a page; ``ValueError`` when it is not HTML at all."""
    if not isinstance(html, (str, bytes, bytearray)):
        raise TypeError(f"extract_article: html must be str or bytes, got {type(html).__name__}")
    text = decode_html(html)
    tree = load_tree(text) if text.strip() else None
    if tree is None:
        raise ValueError(f"extract_article: input is not parseable HTML ({len(html)} chars/bytes)")
    return tree


def without_headline(text: str, title: str | None) -> str:
    """``text`` without a first line that is the headline again (an ``<h1>`` inside ``<article>``).

    The title is its own field: repeated as the text's first line it doubled every title term's
    evidence in alert snippets and search highlights.
    """
    first, _, rest = text.partition("\n")
    if title and rest and " ".join(first.split()).casefold() == " ".join(title.split()).casefold():
        return rest.lstrip("\n")
    return text


def extract_article(html: str | bytes, url: str | None = None) -> Extracted:
    """Extract body text and metadata from one HTML page (*url* resolves relative links)."""
    tree = parse_html(html)
    meta = meta_map(tree)
    ld = read_jsonld(tree)
    sites = site_names(meta, ld, url)
    description = (first_text(ld.first("description")) or next(iter(meta.get("og:description", ())), None)
                   or next(iter(meta.get("description", ())), None))
    title = find_title(tree, meta, ld, sites)
    return Extracted(
        title=title,
        authors=find_authors(tree, ld, meta, exclude=sites),
        published=find_published(tree, meta, ld, url),
        text=without_headline(extract_body(tree, url), title),
        language=find_language(tree, meta, ld),
        canonical_url=find_canonical(tree, meta, url),
        description=" ".join(description.split()) if description else None,
        site_name=sites[0] if sites and sites[0] not in (url or "") else None,
    )
