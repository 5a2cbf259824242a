"""Find and clean article authors (person names, not outlets, e-mails or URLs).

Sources, best first: JSON-LD ``author``; author ``<meta>`` tags (author,
dc.creator, parsely-author, sailthru.author, byl, ...); the "Written by" label
pair of ``twitter:labelN``/``twitter:dataN``; ``itemprop=author`` elements; then
visible bylines (:mod:`.bylines`): ``rel=author`` links, elements whose class or id
names a byline, and links to an author page next to the headline; last, a plain
"By Jane Doe" line. The first source that yields at least one plausible person name
wins. Raw strings are cleaned by :mod:`.names`.

Outlet names next to person names are dropped. When the structured fields
(JSON-LD, meta, itemprop) credit only the outlet or an agency ("BBC News",
"Redaktion hessenschau.de", "Le Figaro et AFP") and neither the first visible
byline nor a bold line of names above the text names a person, that credit is
returned as given: it is what the outlet states as the author.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from lxml.html import HtmlElement

from .bylines import bold_lead_names, by_line_names, byline_texts, element_text
from .jsonld import JsonLd
from .names import clean_authors, credit_line

__all__ = ["find_authors", "clean_authors"]

_META_KEYS = ("author", "article:author", "dc.creator", "dcterms.creator", "parsely-author",
              "sailthru.author", "byl", "citation_author", "article:author_name", "author_name", "cxenseparse:author")
_WRITTEN_BY = re.compile(r"^(?:written by|author|authors?|by|geschrieben von|autor(?:in)?|verfasst von|[ée]crit par|auteur"
                         r"|escrito por|scritto da|autore|geschreven door|skrevet av|skrivet av|napisane przez)\s*:?$",
                         re.IGNORECASE)


def _jsonld_names(node: Any, ld: JsonLd) -> Iterator[str]:
    node = ld.resolve(node)
    if isinstance(node, str):
        if not node.startswith(("http://", "https://")):
            yield node
    elif isinstance(node, list):
        for item in node:
            yield from _jsonld_names(item, ld)
    elif isinstance(node, dict):
        name = node.get("name")
        if isinstance(name, list):
            name = " ".join(str(n) for n in name)
        if not name and (node.get("givenName") or node.get("familyName")):
            name = f"{node.get('givenName', '')} {node.get('familyName', '')}"
        if isinstance(name, str):
            yield name


def _near(anchor: HtmlElement | None, el: HtmlElement) -> bool:
    """Whether *el* sits in the same byline block as the first match (not a teaser list)."""
    return anchor is None or any(a is anchor for a in el.iterancestors())


def _block_of(el: HtmlElement) -> HtmlElement | None:
    ancestors = list(el.iterancestors())
    return ancestors[min(2, len(ancestors) - 1)] if ancestors else None


def _itemprop_names(tree: HtmlElement) -> Iterator[str]:
    anchor = None
    for el in tree.iterfind(".//*[@itemprop]"):
        if "author" not in el.get("itemprop", "").split() and "creator" not in el.get("itemprop", "").split():
            continue
        if anchor is None:
            anchor = _block_of(el)
        elif not _near(anchor, el):
            break
        if el.tag == "meta":
            yield el.get("content", "")
            continue
        inner = [n for n in el.iterfind(".//*[@itemprop]") if "name" in n.get("itemprop", "").split()]
        if inner:
            yield from (n.get("content") or element_text(n) for n in inner)
        else:
            yield el.get("content") or element_text(el)


def _written_by(meta: dict[str, list[str]]) -> list[str]:
    """Yoast-style ``twitter:label1="Written by"`` / ``twitter:data1="Jane Doe"`` pairs."""
    out = []
    for i in range(1, 5):
        label = (meta.get(f"twitter:label{i}") or [""])[0]
        if label and _WRITTEN_BY.match(label.strip()):
            out.extend(meta.get(f"twitter:data{i}", ()))
    return out


def find_authors(tree: HtmlElement, ld: JsonLd, meta: dict[str, list[str]], exclude: Iterable[str] = ()) -> list[str]:
    """Authors of the article in *tree*, from the first source that yields names."""
    exclude = list(exclude)
    sources: list[list[str]] = [
        list(_jsonld_names(ld.first("author") or ld.first("creator"), ld)),
        [v for key in _META_KEYS for v in meta.get(key, ())],
        _written_by(meta),
        list(_itemprop_names(tree)),
    ]
    credit: list[str] = []
    for raw in sources:
        names = clean_authors(raw, exclude)
        if names:
            return names
        credit = credit or credit_line(raw)
    bylines = byline_texts(tree)
    if credit:  # the outlet credits itself: a person only if the page's first byline names one
        first = next(bylines, None)
        people = clean_authors([first], exclude) if first else []
        if any(len(n.split()) >= 2 for n in people):
            return people[:6]
        return bold_lead_names(tree, exclude) or credit
    for text in bylines:  # only the first byline with a name: later ones belong to teasers
        if names := clean_authors([text], exclude):
            return names[:6]
    return by_line_names(tree, exclude)
