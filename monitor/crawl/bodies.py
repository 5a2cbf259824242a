"""What an article response really holds, whatever its headers say.

Outlets serve empty bodies with status 200, binary files as ``text/html``,
HTML as ``image/jpeg``, and pages whose declared charset (header or ``<meta>``)
is wrong. ``body_problem`` names a body that cannot be an article page;
``page_text`` decodes one, repairing a lying Content-Type or charset and saying
which repair it made, so the spider can count it. Sniffing a charset from the
bytes costs tens of milliseconds, so ``page_text`` leaves it to the caller's
``sniff`` (the spider runs it in an extract worker, off the reactor).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from scrapy.http import Response, TextResponse

_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title|article)\b",
                         re.IGNORECASE | re.DOTALL)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
BINARY_CONTROL_SHARE = 0.05


def body_problem(body: bytes) -> tuple[str, str] | None:
    """``("empty_body" | "binary_body", detail)`` when ``body`` cannot be a page; None otherwise."""
    if not body.strip():
        return "empty_body", "the response has no content"
    if body.startswith(_UTF16_BOMS):
        return None
    head = body[:8192]
    control = len(head) - len(head.translate(None, _CONTROL))  # one pass in C, not one per control byte
    if b"\x00" in head or control > BINARY_CONTROL_SHARE * len(head):
        return "binary_body", f"{control} control bytes in the first {len(head)} bytes: not text"
    return None


def looks_like_html(body: bytes) -> bool:
    """True when the body starts like an HTML document (after an optional BOM and comments)."""
    return _HTML_START.match(body.removeprefix(b"\xef\xbb\xbf")[:4096]) is not None


async def page_text(response: Response,
                    sniff: Callable[[bytes], Awaitable[str]]) -> tuple[str | None, str | None]:
    """``(text, repair)``: the decoded page and the repair made (``content_type``, ``charset`` or None).

    ``text`` is None for a non-text response that does not look like HTML.
    ``sniff`` decodes bytes by their own evidence (``monitor.extract.encoding.decode_html``);
    it is awaited only for a response whose headers cannot be trusted.
    """
    if not isinstance(response, TextResponse):
        if looks_like_html(response.body):
            return await sniff(response.body), "content_type"
        return None, None
    text = response.text
    declared = response.headers.get("Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
    if declared and not declared.startswith("text/") and "xml" not in declared and "html" not in declared:
        return text, "content_type"  # Scrapy sniffed the body as a page despite the header
    if "\ufffd" in text:  # the declared charset does not fit the bytes: trust the bytes
        sniffed = await sniff(response.body)
        if sniffed.count("\ufffd") < text.count("\ufffd"):
            return sniffed, "charset"
    return text, None
