"""Read schema.org JSON-LD blocks: the richest metadata most news sites publish.

Handles the shapes seen in the wild: a single object, a list, ``@graph`` containers,
``@type`` given as a list, authors referenced by ``@id`` elsewhere in the graph, and
slightly broken JSON (control characters, HTML comments or CDATA around the block).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

__all__ = ["ARTICLE_TYPES", "JsonLd", "read_jsonld"]

ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "livebloggosting",
    "liveblogposting", "techarticle", "scholarlyarticle", "report", "socialmediaposting",
    "askpublicnewsarticle", "satiricalarticle", "advertisercontentarticle", "medicalscholarlyarticle",
})
_PAGE_TYPES = frozenset({"webpage", "itempage", "collectionpage", "videoobject", "medicalwebpage"})
_WRAPPERS = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")


@dataclass(slots=True)
class JsonLd:
    """The article-level objects found in a page's JSON-LD, best first."""

    articles: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resolve(self, node: Any) -> Any:
        """Follow an ``{"@id": ...}`` reference to its full node when the graph has it."""
        if isinstance(node, dict) and set(node) <= {"@id", "@type"} and node.get("@id") in self.by_id:
            return self.by_id[node["@id"]]
        return node

    def first(self, key: str, *, pages: bool = False) -> Any:
        """The first non-empty *key* among the articles (then the web pages if asked)."""
        for obj in self.articles + (self.pages if pages else []):
            value = obj.get(key)
            if value not in (None, "", [], {}):
                return value
        return None


def _types(obj: dict[str, Any]) -> set[str]:
    raw = obj.get("@type", ())
    raw = [raw] if isinstance(raw, str) else raw
    return {str(t).rsplit("/", 1)[-1].lower() for t in raw if isinstance(t, str)}


def _walk(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, depth + 1)
    elif isinstance(node, dict):
        yield node
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
            if isinstance(node.get(key), (dict, list)):
                yield from _walk(node[key], depth + 1)


def _load(text: str) -> Any:
    text = _WRAPPERS.sub("", text.strip())
    try:
        return json.loads(text, strict=False)
    except ValueError:
        # a common breakage: raw newlines/tabs inside strings, or trailing commas
        text = re.sub(r",\s*([}\]])", r"\1", text.replace("\n", " ").replace("\t", " "))
        try:
            return json.loads(text, strict=False)
        except ValueError:
            return None


def read_jsonld(tree: HtmlElement) -> JsonLd:
    """Collect article and web-page objects from every JSON-LD script in *tree*."""
    result = JsonLd()
    for script in tree.iterfind(".//script[@type]"):
        if "ld+json" not in (script.get("type") or "").lower() or not script.text:
            continue
        data = _load(script.text)
        for obj in _walk(data):
            if isinstance(obj.get("@id"), str) and len(obj) > 2:
                result.by_id.setdefault(obj["@id"], obj)
            types = _types(obj)
            if types & ARTICLE_TYPES:
                result.articles.append(obj)
            elif types & _PAGE_TYPES:
                result.pages.append(obj)
    return result
