"""CSS or XPath selectors from catalogue entries: validated once, applied with parsel.

An entry's selector is XPath when it starts with ``/``, ``(``, ``./`` or ``..``, and CSS
otherwise (parsel's ``::text`` and ``::attr(name)`` work). Spiders use them on
listing pages; the extract stage uses them on article pages
(``monitor.extract.selectors``). Both go through ``select_texts`` so a selector
means the same thing everywhere.
"""

from __future__ import annotations

import lxml.etree
from cssselect import SelectorError as CssSelectorError
from parsel import Selector, SelectorList
from parsel.csstranslator import HTMLTranslator

BLOCKS = ".//p | .//li | .//h2 | .//h3 | .//h4 | .//blockquote | .//pre"


class SelectorError(ValueError):
    """A selector is neither valid CSS nor valid XPath."""


def is_xpath(selector: str) -> bool:
    """True when ``selector`` is written as XPath rather than CSS."""
    return selector.lstrip().startswith(("/", "(", "./", ".."))


def validate_selector(selector: str) -> None:
    """Raise ``SelectorError`` saying why ``selector`` cannot be used."""
    if not selector.strip():
        raise SelectorError("empty selector")
    try:
        if is_xpath(selector):
            lxml.etree.XPath(selector)
        else:
            HTMLTranslator().css_to_xpath(selector)
    except (lxml.etree.XPathSyntaxError, CssSelectorError, ValueError) as exc:
        kind = "XPath" if is_xpath(selector) else "CSS"
        raise SelectorError(f"invalid {kind} selector {selector!r}: {exc}") from exc


def select(root: Selector, selector: str) -> SelectorList[Selector]:
    """The nodes ``selector`` matches under ``root``."""
    return root.xpath(selector) if is_xpath(selector) else root.css(selector)


def node_text(node: Selector, *, blocks: bool = False) -> str:
    """Readable text of one matched node: an attribute or text node as is, an element's text content.

    With ``blocks`` an element's paragraphs (p, li, headings) become lines, as body text needs.
    """
    if isinstance(node.root, str):
        return " ".join(node.root.split())
    for attribute in ("datetime", "content"):
        value = node.attrib.get(attribute)
        if value:
            return value.strip()
    if blocks:
        lines = [" ".join(block.xpath("string()").get("").split()) for block in node.xpath(BLOCKS)]
        lines = [line for line in lines if line]
        if lines:
            return "\n".join(lines)
    return " ".join(node.xpath("string()").get("").split())


def select_texts(html: str | Selector, selector: str, *, blocks: bool = False) -> list[str]:
    """The non-empty texts of every node ``selector`` matches in ``html``."""
    root = html if isinstance(html, Selector) else Selector(text=html)
    return [text for text in (node_text(node, blocks=blocks) for node in select(root, selector)) if text]
