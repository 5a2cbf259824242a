"""Catalogue selectors applied to an extraction: the entry's CSS/XPath wins where given.

trafilatura and the metadata readers are right on most pages; for an outlet
where they are not, its catalogue entry names a selector per field (``title``,
``authors``, ``published``, ``text``) and this module overrides just those
fields. A selector that matches nothing leaves the extracted value in place, so
a markup change degrades to the generic extractor instead of to an empty field.
"""

from __future__ import annotations

from dataclasses import replace

from monitor.catalogue.selectors import select_texts
from monitor.dates import parse_datetime
from monitor.extract import Extracted
from monitor.extract.authors import clean_authors
from monitor.extract.encoding import decode_html


def apply_selectors(extracted: Extracted, html: str | bytes, selectors: dict[str, str] | None) -> Extracted:
    """``extracted`` with each field that has a matching selector replaced by what it selects."""
    if not selectors:
        return extracted
    page = decode_html(html)
    changes: dict[str, object] = {}
    if "title" in selectors and (titles := select_texts(page, selectors["title"])):
        changes["title"] = titles[0]
    if "authors" in selectors and (names := clean_authors(select_texts(page, selectors["authors"]))):
        changes["authors"] = names
    if "published" in selectors:
        for value in select_texts(page, selectors["published"]):
            if (published := parse_datetime(value)) is not None:
                changes["published"] = published
                break
    if "text" in selectors and (texts := select_texts(page, selectors["text"], blocks=True)):
        changes["text"] = "\n".join(texts)
    return replace(extracted, **changes) if changes else extracted
