"""Text normalization and exact-duplicate hashing.

Two copies of one article often differ only in typography: curly vs straight quotes,
en/em dashes, non-breaking or doubled spaces, soft hyphens, line wrapping, case, or a
feed that dropped the accents.  ``normalize_text`` maps all of these to one form so
that ``content_hash`` (exact duplicates) and the shingles behind near-duplicate
signatures ignore them.

Decision on accents: they are stripped from Latin, Greek and Cyrillic letters (some
feeds and all-caps headlines lose them), but combining marks of other scripts
(Devanagari vowel signs, Hebrew points, ...) are kept because there they carry the
word itself.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["normalize_text", "content_hash"]

# Characters NFKC leaves alone but that copies spell differently (regexes: faster than str.translate).
_SUBSTITUTIONS = (
    (re.compile("[\u2018\u2019\u201a\u201b\u2032\u00b4\u0060\u02bc]"), "'"),
    (re.compile("[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u2039\u203a]"), '"'),
    (re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b]"), "-"),
    (re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]"), ""),  # invisible
)
_WHITESPACE = re.compile(r"\s+")
# Combining accents (Latin/Greek/Cyrillic blocks) right after a base letter below U+0530.
_ACCENTS = re.compile("(?<=[\x00-\u052f])[\u0300-\u036f\u0483-\u0489]+")


def _strip_accents(text: str) -> str:
    return unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFD", text)))


def normalize_text(text: str) -> str:
    """Return ``text`` casefolded, NFKC-normalized, accent-free (Latin/Greek/Cyrillic),
    with quotes and dashes unified, invisible characters removed and every run of
    whitespace (including line breaks) collapsed to one space.

    Raises ``TypeError`` when ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize_text: text must be str, not {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():
        for pattern, replacement in _SUBSTITUTIONS:
            text = pattern.sub(replacement, text)
        text = _strip_accents(text)
    return _WHITESPACE.sub(" ", text).strip()


def content_hash(text: str) -> str:
    """Hex BLAKE2b-128 digest of ``normalize_text(text)`` with all whitespace removed.

    Equal for copies that differ only in whitespace (including "« x »" vs "«x»"), line
    breaks, case, quote or dash style, invisible characters or accents.
    """
    compact = normalize_text(text).replace(" ", "")
    return hashlib.blake2b(compact.encode("utf-8"), digest_size=16).hexdigest()
