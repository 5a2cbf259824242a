"""Clean raw author strings into person names (not outlets, e-mails, URLs or labels).

Shared by every author source (JSON-LD, meta tags, visible bylines, PDF metadata,
per-site selectors): "By Jane Doe and John Roe | 12 March 2024" becomes
``["Jane Doe", "John Roe"]``; an outlet's own credit line is kept apart by
:func:`credit_line` for the case where no person is named at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["BY_PREFIX", "clean_authors", "credit_line"]

BY_PREFIX = re.compile(
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
_NAME_CHARS = re.compile(r"[^\W\d_][^\W\d_ .'’‘`-]*(?:[ .'’‘`-]+[^\W\d_]*)*\.?")
_LETTER = re.compile(r"[^\W\d_]")


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _clean_one(name: str) -> str | None:
    name = _ROLE_TAIL.sub("", name).strip(" \t\n\r.:-–—'\"«»„“”")
    name = _LABEL.sub("", BY_PREFIX.sub("", name)).strip(" .:-")
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
        text = BY_PREFIX.sub("", text)
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
        text = BY_PREFIX.sub("", text).strip(" ,;|/-–—")
        if not text or len(text) > 60 or len(text.split()) > 6 or len(_LETTER.findall(text)) < 2:
            continue
        if text.casefold() in _GENERIC or text.isdigit() or "_" in text:
            continue
        return [text]
    return []
