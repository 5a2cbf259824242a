"""Turn raw page bytes into text without an HTTP header to help.

Order of evidence: a byte-order mark; valid UTF-8 (a declared legacy charset on a
page that is really UTF-8 is the most common mislabel on the web); the charset the
page declares in ``<meta>`` or an XML declaration; statistical detection with
charset-normalizer; finally Windows-1252 with replacement, which never fails.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

__all__ = ["decode_html", "declared_charset"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)|<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.\-]+)""",
    re.IGNORECASE,
)
# WHATWG: these labels mean windows-1252 in browsers.
_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252",
            "ascii": "cp1252", "iso8859-1": "cp1252", "x-sjis": "shift_jis", "gb2312": "gb18030", "gbk": "gb18030"}


def declared_charset(data: bytes) -> str | None:
    """The Python codec name declared in the first 4 KB of *data*, if any and known."""
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii").lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(data: bytes | str) -> str:
    """Decode an HTML document given as bytes; a ``str`` is returned unchanged."""
    if isinstance(data, str):
        return data
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"decode_html: expected bytes or str, got {type(data).__name__}")
    data = bytes(data)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = declared_charset(data)
    if declared and declared not in ("utf-8", "utf-16-le", "utf-16-be", "utf-16"):
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace")
    return data.decode("cp1252", errors="replace")
