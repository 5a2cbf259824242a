"""Main-text extraction: a thin wrapper over trafilatura so it can be swapped.

The caller parses the page once and hands the lxml tree over; trafilatura copies it
before cleaning, so the same tree stays usable for metadata. Comments are left out
(a media monitor wants the article, not the discussion below it).

trafilatura runs its own algorithm first, then by default also readability and
jusText on every page and keeps the best. Here the fallbacks run only when the
first pass found little text (``FALLBACK_BELOW`` characters): on the
article-extraction benchmark and trafilatura's evaluation set that keeps F1
unchanged (0.962 and 0.924) and saves ~30 % of extraction CPU (bench/BENCHMARKS.md).
"""

from __future__ import annotations

import re

import trafilatura
from lxml.html import HtmlElement

__all__ = ["extract_body"]

_BLANK_LINES = re.compile(r"\n\s*\n+")
FALLBACK_BELOW = 1000  # characters; shorter first-pass texts are extracted again with the fallbacks


def extract_body(tree: HtmlElement, url: str | None = None, *, fallback_below: float = FALLBACK_BELOW) -> str:
    """The article's main text, one paragraph per line ("" when nothing is found).

    ``fallback_below``: first-pass length under which the fallbacks run (0: never;
    ``math.inf``: always, trafilatura's default; ``bench/extraction.py --fallbacks``).
    """
    text = trafilatura.extract(tree, url=url, include_comments=False, include_tables=True, fast=True) or ""
    if len(text) < fallback_below:
        text = trafilatura.extract(tree, url=url, include_comments=False, include_tables=True) or ""
    return _BLANK_LINES.sub("\n", text).strip()
