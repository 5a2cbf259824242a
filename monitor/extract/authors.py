"""Find and clean article authors (person names, not outlets, e-mails or URLs).

Sources, best first: JSON-LD ``author``; author ``<meta>`` tags (author,
dc.creator, parsely-author, sailthru.author, byl, ...); the "Written by" label
pair of ``twitter:labelN``/``twitter:dataN``; ``itemprop=author`` elements; then
visible bylines: ``rel=author`` links, elements whose class or id names a byline,
and links to an author page next to the headline. The first source that yields
at least one plausible person name wins. Raw strings such as
"By Jane Doe and John Roe | 12 March 2024" become ``["Jane Doe", "John Roe"]``.

Outlet names next to person names are dropped. When the structured fields
(JSON-LD, meta, itemprop) credit only the outlet or an agency ("BBC News",
"Redaktion hessenschau.de", "Le Figaro et AFP") and no author link near the
headline names a person, that credit is returned as given: it is what the outlet
states as the author.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from lxml.html import HtmlElement

from .jsonld import JsonLd

__all__ = ["find_authors", "clean_authors"]

_META_KEYS = ("author", "article:author", "dc.creator", "dcterms.creator", "parsely-author",
              "sailthru.author", "byl", "citation_author", "article:author_name", "author_name", "cxenseparse:author")
_PREFIX = re.compile(
    r"^\s*(?:(?:written|reported|reporting|posted|text|story|words|photos?|interview)\s+)?"
    r"(?:by|von|par|por|di|da|door|av|af|przez|autor(?:in|a)?|author|auteur|texte?|text|ein kommentar von"
    r"|ein gastbeitrag von|kommentar von|analyse von|redigeret af)\b\s*[:.]?\s*",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:[,;|/&+•·]|\s(?:and|und|et|y|e|og|en|i|och|ja|a|és|und von|sowie|with|mit)\s)\s*", re.IGNORECASE)
_NOISE = re.compile(r"\([^)]*\)|\[[^\]]*\]|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+|www\.\S+|(?<!\w)@\w+")
_GENERIC = frozenset({
    "admin", "administrator", "staff", "editor", "editors", "redaktion", "redaction", "rédaction", "redazione",
    "redacción", "redaccion", "newsroom", "news desk", "web desk", "guest", "anonymous", "unknown", "team",
    "updated", "published", "posted", "more", "follow", "contact", "share", "facebook", "twitter",
    "instagram", "linkedin", "email", "e-mail", "mail", "read more", "author", "autor", "by", "red", "agenturen",
    "agencies", "agency", "agences", "redakcja", "redactie", "redaksjonen", "toimitus", "nachrichten", "news",
})
_ROLE_TAIL = re.compile(r"\s+[-–—]\s+.*$|,\s*(?:reporter|correspondent|editor|journalist).*$", re.IGNORECASE)
_LABEL = re.compile(r"^[^\W\d_]+\s*:\s+")  # "Redaktion: Jane Doe", "Text: Jane Doe"
_WRITTEN_BY = re.compile(r"^(?:written by|author|authors?|by|geschrieben von|autor(?:in)?|verfasst von|[ée]crit par|auteur"
                         r"|escrito por|scritto da|autore|geschreven door|skrevet av|skrivet av|napisane przez)\s*:?$",
                         re.IGNORECASE)
_NAME_CHARS = re.compile(r"[^\W\d_][^\W\d_ .'’‘`-]*(?:[ .'’‘`-]+[^\W\d_]*)*\.?")
_LETTER = re.compile(r"[^\W\d_]")


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _clean_one(name: str) -> str | None:
    name = _ROLE_TAIL.sub("", name).strip(" \t\n\r.:-–—'\"«»„“”")
    name = _LABEL.sub("", _PREFIX.sub("", name)).strip(" .:-")
    if not name or not _NAME_CHARS.fullmatch(name):
        return None
    words = name.split()
    if len(words) > 5 or len(name) > 60 or len(_LETTER.findall(name)) < 2:
        return None
    if name.casefold() in _GENERIC:
        return None
    if name.isupper() and len(words) > 1:
        name = name.title()
    return name


def clean_authors(raw: Iterable[str], exclude: Iterable[str] = ()) -> list[str]:
    """Split, clean and de-duplicate raw author strings; drop names in *exclude* (outlets)."""
    excluded = {_norm(x) for x in exclude if x and _norm(x)}
    outlet_words = {x for x in excluded if len(x) >= 3}
    names: list[str] = []
    seen: set[str] = set()
    for text in raw:
        text = _NOISE.sub(" ", " ".join(str(text).split()))
        text = _PREFIX.sub("", text)
        found: list[str] = []
        for part in _SPLIT.split(text):
            name = _clean_one(part)
            key = _norm(name) if name else ""
            if key in excluded or (key and outlet_words & {_norm(w) for w in name.split()}):  # type: ignore[union-attr]
                if not found:
                    break  # an outlet credit line ("Outlet, City, Country"): drop the rest
                continue
            if key and key not in seen and all(key != _norm(n) for n in found):
                found.append(name)  # type: ignore[arg-type]
        seen.update(_norm(n) for n in found)
        names.extend(found)
    return names


def credit_line(raw: Iterable[str]) -> list[str]:
    """The first raw author string that is an organisation credit, cleaned; ``[]`` if none is.

    Used only when :func:`clean_authors` found no person in the same source: then a
    short, name-like string ("ORF.at", "BBC News", "Le Figaro et AFP") is the credit.
    A ";"-separated list of credits ("srf/abc;xyz") gives one entry per item.
    """
    for text in raw:
        if ";" in str(text):
            parts = [p for p in (credit_line([x]) for x in str(text).split(";")) if p]
            if parts:
                return [p[0] for p in parts]
            continue
        text = " ".join(_NOISE.sub(" ", str(text)).split()).strip(" ,;|/-–—")
        text = _PREFIX.sub("", text).strip(" ,;|/-–—")
        if not text or len(text) > 60 or len(text.split()) > 6 or len(_LETTER.findall(text)) < 2:
            continue
        if text.casefold() in _GENERIC or text.isdigit() or "_" in text:
            continue
        return [text]
    return []


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


def _element_text(el: HtmlElement) -> str:
    return " ".join(" ".join(el.itertext()).split())


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
            yield from (n.get("content") or _element_text(n) for n in inner)
        else:
            yield el.get("content") or _element_text(el)


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
            yield ", ".join(_element_text(a) for a in links[:4])
            return


def _byline_names(tree: HtmlElement) -> Iterator[str]:
    yield from _headline_author_links(tree)
    for el in tree.iterfind(".//a[@rel]"):
        if "author" in el.get("rel", "").split():
            yield _element_text(el)
    for el in tree.xpath(_BYLINE_XPATH):
        cls = f'{el.get("class", "")} {el.get("id", "")}'.strip()
        if el.tag in ("meta", "script", "style", "img", "body", "html") or not _BYLINE_CLASS.search(cls):
            continue
        if any(w in cls.lower() for w in ("bio", "avatar", "image", "img", "photo", "description", "more", "box")):
            continue
        text = _element_text(el)
        if 2 < len(text) <= 120:
            yield text


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
    bylines = _byline_names(tree)
    if credit:  # the outlet credits itself: a person only if the page's first byline names one
        first = next(bylines, None)
        people = clean_authors([first], exclude) if first else []
        return people[:6] if any(len(n.split()) >= 2 for n in people) else credit
    for text in bylines:  # only the first byline with a name: later ones belong to teasers
        if names := clean_authors([text], exclude):
            return names[:6]
    return []
