"""A streaming Atom 1.0 writer (stdlib XMLGenerator): entries are written as they come, never held in memory.

Text from crawled pages is escaped by the XML writer, never inserted as markup, and
only http(s) URLs become links: a feed reader follows ``<link href>`` as the
dashboard follows an ``<a href>``, so a ``javascript:`` URL would run there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import IO, Any
from xml.sax.saxutils import XMLGenerator

ATOM_NS = "http://www.w3.org/2005/Atom"
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # no XML 1.0 document may hold these


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if value else datetime.now(timezone.utc).isoformat()


def write_feed(out: IO[str], *, feed_id: str, title: str, entries: Iterable[dict[str, Any]],
               updated: datetime | None = None) -> int:
    """Write a feed; each entry dict has id, title, url, published, and optionally summary, source and
    authors (a list of names: one ``<author>`` each; without them the feed's author "monitor" stands).

    Returns the number of entries written.
    """
    xml = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)
    xml.startDocument()
    xml.startElement("feed", {"xmlns": ATOM_NS})

    def element(name: str, text: str, attrs: dict[str, str] | None = None) -> None:
        xml.startElement(name, attrs or {})
        xml.characters(NOT_XML.sub("", text))  # a stray control byte from a page would make the feed unreadable
        xml.endElement(name)

    element("id", feed_id)
    element("title", title)
    element("updated", _iso(updated or datetime.now(timezone.utc)))
    xml.startElement("author", {})
    element("name", "monitor")
    xml.endElement("author")
    count = 0
    for entry in entries:
        xml.startElement("entry", {})
        element("id", str(entry["id"]))
        element("title", entry.get("title") or "(untitled)")
        url = str(entry.get("url") or "").strip()
        if url.lower().startswith(("http://", "https://")):
            xml.startElement("link", {"href": url, "rel": "alternate"})
            xml.endElement("link")
        element("updated", _iso(entry.get("published")))
        if entry.get("published"):
            element("published", _iso(entry["published"]))
        for name in entry.get("authors") or ():
            if str(name).strip():
                xml.startElement("author", {})
                element("name", str(name).strip())
                xml.endElement("author")
        if entry.get("source"):
            xml.startElement("category", {"term": str(entry["source"])})
            xml.endElement("category")
        if entry.get("summary"):
            element("summary", entry["summary"], {"type": "text"})
        xml.endElement("entry")
        count += 1
    xml.endElement("feed")
    xml.endDocument()
    return count
