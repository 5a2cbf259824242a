"""Main-text extraction: a thin wrapper over trafilatura so it can be swapped.

The caller parses the page once and hands the lxml tree over; trafilatura copies it
before cleaning, so the same tree stays usable for metadata. Comments are left out
(a media monitor wants the article, not the discussion below it).
"""

from __future__ import annotations

import re

import trafilatura
from lxml.html import HtmlElement

__all__ = ["extract_body"]

_BLANK_LINES = re.compile(r"\n\s*\n+")


def extract_body(tree: HtmlElement, url: str | None = None) -> str:
    """The article's main text, one paragraph per line ("" when nothing is found)."""
    text = trafilatura.extract(tree, url=url, include_comments=False, include_tables=True) or ""
    return _BLANK_LINES.sub("\n", text).strip()
