"""Visible bylines: author names read from the page's text and markup, not its metadata.

Used by :mod:`monitor.extract.authors` after the structured sources: author-page
links next to the headline, ``rel=author`` links, elements whose class or id names
a byline, bold names set above the text, and a plain "By ..." line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml.html import HtmlElement

from .names import BY_PREFIX, clean_authors

__all__ = ["byline_texts", "bold_lead_names", "by_line_names", "element_text"]


def element_text(el: HtmlElement) -> str:
    """The element's text with spacing collapsed."""
    return " ".join(" ".join(el.itertext()).split())


_BYLINE_CLASS = re.compile(r"(?:^|[\s_-])(?:byline|bylines|author|authors|authorname|autor|autoren|auteur|author-name|writer)"
                           r"(?:$|[\s_-])", re.I)
_BYLINE_XPATH = ".//*[@class]|.//*[@id]"


_AUTHOR_HREF = re.compile(r"/(?:author|authors|autor|autoren|auteur|auteurs|autore|autori|journalist|journalisten"
                          r"|redakteur|reporter|writers?)(?:/|$|[-_=?])", re.IGNORECASE)


def _headline_author_links(tree: HtmlElement) -> Iterator[str]:
    """Texts of author-page links in the block around the first ``<h1>`` (the article header)."""
    h1 = next(tree.iter("h1"), None)
    if h1 is None:
        return
    block = h1
    for _ in range(3):
        parent = block.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        block = parent
        links = [a for a in block.iter("a") if _AUTHOR_HREF.search(re.sub(r"^[a-z]+://[^/]+", "", a.get("href") or ""))]
        if links:
            yield ", ".join(element_text(a) for a in links[:4])
            return


def byline_texts(tree: HtmlElement) -> Iterator[str]:
    """Raw byline texts, best first: author links by the headline, rel=author, byline classes."""
    yield from _headline_author_links(tree)
    for el in tree.iterfind(".//a[@rel]"):
        if "author" in el.get("rel", "").split():
            yield element_text(el)
    for el in tree.xpath(_BYLINE_XPATH):
        cls = f'{el.get("class", "")} {el.get("id", "")}'.strip()
        if el.tag in ("meta", "script", "style", "img", "body", "html") or not _BYLINE_CLASS.search(cls):
            continue
        if any(w in cls.lower() for w in ("bio", "avatar", "image", "img", "photo", "description", "more", "box")):
            continue
        text = element_text(el)
        if 2 < len(text) <= 120:
            yield text


def _capitalised(names: list[str]) -> bool:
    """Every word starts with a capital: a name, not a phrase ("What the miners said")."""
    return all(word[0].isupper() for name in names for word in name.split())


def bold_lead_names(tree: HtmlElement, exclude: list[str]) -> list[str]:
    """Person names set as a bold paragraph of their own at the top of the text.

    Print-style pages put "**Jane Doe/John Roe**" above the first paragraph and credit
    only the outlet in their metadata. Looked at only in that case: elsewhere a bold
    paragraph near the headline is more often a subheading than a byline.
    """
    h1 = next(tree.iter("h1"), None)
    if h1 is None:
        return []
    for para in h1.xpath("following::p[normalize-space()][position() <= 4]"):
        text = element_text(para)
        bold = " ".join(element_text(b) for b in para.iter("strong", "b"))
        if text and text == bold and len(text) <= 80:
            names = clean_authors([text], exclude)
            if names and _capitalised(names) and all(2 <= len(n.split()) <= 4 for n in names):
                return names[:6]
    return []


_BY_START = re.compile(r"^\s*(?:by|von|par|por|door|av|af)\s+\S", re.IGNORECASE)
_BY_WORD = re.compile(r"^\s*(?:by|von|par|por|door|av|af)(?:\s|$)", re.IGNORECASE)
# where a "By ..." line moves on from the names: a date, a separator, "in <section>", "am <date>"
_BY_END = re.compile(r"\s*(?:[•|·]|\d|,?\s+(?:in|im|am|on|at|le|el|il|um|the|der|die|das)\s).*$", re.IGNORECASE)


def by_line_names(tree: HtmlElement, exclude: list[str]) -> list[str]:
    """Names from the first short element that starts "By ..." when nothing else names an author.

    Only capitalised names count ("Von Jane Doe am 12.03." but not "Von der Quelle zum
    Meer"), because "von", "par" and "by" also start ordinary phrases.
    """
    for el in tree.iter("p", "span", "div", "small", "address", "li", "em"):
        lead = next((t for t in el.itertext() if t.strip()), "")
        if not _BY_WORD.match(lead):  # cheap test before the element's whole text
            continue
        text = element_text(el)
        if len(text) > 160 or not _BY_START.match(text):
            continue
        text = _BY_END.sub("", BY_PREFIX.sub("", text, count=1))
        names = clean_authors([text], exclude)
        if names and len(names) <= 3 and _capitalised(names):
            return names
        return []  # only the first "By" line: later ones are teasers, comments or forum posts
    return []
