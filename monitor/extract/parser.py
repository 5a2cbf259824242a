"""Parse a decoded page into the lxml tree every extraction step reads.

trafilatura's ``load_html`` with its own parser settings, except for one thing:
lxml.html's parser chooses each element's Python class (``FormElement`` for
``<form>``, ``InputElement`` for ``<input>``, ...) by calling a Python method every
time it hands out an element, some 4,000 calls per news page and about 7 % of an
article's analysis in the extract worker (bench/BENCHMARKS.md). Neither trafilatura
nor ``monitor.extract`` uses those form classes, so this parser uses lxml's built-in
default lookup: every element is a plain ``HtmlElement`` (``text_content()``,
``cssselect()`` and the rest as before). trafilatura's own parser, which it uses for
its fallbacks and when called on its own, is left as it is.
"""

from __future__ import annotations

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction, fromstring
from trafilatura.utils import is_dubious_html, repair_faulty_html

__all__ = ["C_LOOKUP", "PARSER", "load_tree"]

C_LOOKUP = etree.ElementDefaultClassLookup(element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction,
                                           entity=HtmlEntity)
PARSER = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                    remove_pis=True)  # trafilatura.utils.HTML_PARSER's settings
PARSER.set_element_class_lookup(C_LOOKUP)


def load_tree(text: str) -> HtmlElement | None:
    """``trafilatura.utils.load_html`` for an already decoded page, with ``PARSER``."""
    beginning = text[:50].lower()
    text = repair_faulty_html(text, beginning)
    try:
        tree = fromstring(text, parser=PARSER)
    except (ValueError, etree.LxmlError):  # "Unicode strings with encoding declaration are not supported."
        tree = None
    if tree is None or len(tree) < 1:
        tree = _from_bytes(text)
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None  # not HTML at all
    return tree


def _from_bytes(text: str) -> HtmlElement | None:
    try:
        return fromstring(text.encode("utf8", "surrogatepass"), parser=PARSER)
    except (ValueError, etree.LxmlError):
        return None
