"""Choose an article's headline from the page's competing title sources.

Candidates: on-page ``<h1>``, JSON-LD ``headline`` and ``alternativeHeadline``,
``og:title``, ``twitter:title`` and ``<title>``. Each is cleaned (entities,
invisible characters, spacing) and loses separator segments that name the outlet
(" - Site", "Site | ...": the segment matches og:site_name, the JSON-LD publisher
or the domain, compared without case, punctuation or accents). An outlet name
inside the title ends the headline ("Headline | Site | tagline").

The sources then vote. Every candidate backs its own text with its source's weight
and, with a fraction of that weight, its shortened forms: without the last or
first separator segment, or without a leading kicker ("Ukraine war: ..."). The
best-backed form wins; ties go to the longer-standing source order. A shortened
form needs a second source to back it, so a headline is only cut where another
field of the page cuts it the same way.

A shortened form is confirmed, and backed with full weight, when a headline field
(og:title, JSON-LD headline, twitter:title) states it as is, or when two sources
reach it by removing unrelated words (two different kickers before the same
headline). A headline field that is the word-level start or end of a longer source
("X" against "X in battling win over Y") counts as that source's shortened form:
the publisher trimmed the kicker or subtitle on purpose. An ``<h1>`` shorter than
the headline fields confirms nothing (pages often set the kicker apart there).

The JSON-LD ``headline`` (schema.org's NewsArticle headline, what the publisher
declares to search engines) outweighs any two other fields together: where og:title
and ``<h1>`` say something else, the gold of three corpora follows JSON-LD more often
than not (bench/BENCHMARKS.md). A field cut short with an ellipsis backs its text
with half its weight. The other weights were fitted on half of the fundus
publishers and checked on the other half (bench/extraction.py).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["choose_title", "clean_candidates", "strip_site_name", "site_key", "title_forms"]

_SEPARATORS = re.compile(r"\s+(?:[|–—·•»›⋆ǀ]{1,2}|-{1,2}|::|/{1,2})\s+|\s*[｜]\s*|\s*-{2,}\s*")
_KICKER = re.compile(r"^([^:]{2,60}?)\s*:\s+(\S.{8,})$")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa"})

# Vote weight of each source, and the share of it a source gives to its shortened forms.
WEIGHTS: dict[str, float] = {"h1": 1.0, "og": 1.2, "jsonld": 3.0, "alt": 0.6, "twitter": 0.2, "title": 0.3}
SHORT_SHARE = 0.5
# Fields a publisher writes as "the headline" on purpose (not layout, not the browser tab).
DECLARED = frozenset({"og", "jsonld", "twitter"})


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def site_key(text: str) -> set[str]:
    """Comparison keys for an outlet name: plain, accent-stripped and transliterated."""
    low = text.casefold()
    keys = {_norm(low), _norm(low.translate(_TRANSLIT))}
    keys.add(_norm("".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))))
    return {k for k in keys if k}


def _looks_like_site(segment: str, sites: set[str]) -> bool:
    for seg in site_key(segment):
        for site in sites:
            if seg == site or (len(seg) >= 3 and seg in site):
                return True
            if len(site) >= 4 and site in seg and len(seg) <= len(site) + 12:
                return True  # "Mirror Online", "hessenschau.de Wirtschaft"
    return False


def _site_keys(sites: Iterable[str]) -> set[str]:
    return {k for s in sites if s for k in site_key(s) if len(k) >= 2}


def strip_site_name(title: str, sites: Iterable[str]) -> str:
    """Remove leading/trailing separator segments that name the outlet."""
    norm_sites = sites if isinstance(sites, set) else _site_keys(sites)
    parts = _SEPARATORS.split(title)
    seps = _SEPARATORS.findall(title)
    if len(parts) < 2 or not norm_sites:
        return title
    start, end = 0, len(parts)
    while end - start > 1 and _looks_like_site(parts[end - 1], norm_sites):
        end -= 1
    while end - start > 1 and _looks_like_site(parts[start], norm_sites):
        start += 1
    if (start, end) == (0, len(parts)):
        # "Headline | Site | Tagline", "Headline | Site | 23.05.2011": the outlet name
        # after the first segment ends the headline; what follows it is the site's own.
        inner = next((i for i in range(1, len(parts) - 1) if _looks_like_site(parts[i], norm_sites)), None)
        if inner is not None:
            end = inner
    if (start, end) == (0, len(parts)):
        return title
    return _join(parts, seps, start, end).strip()


def _join(parts: list[str], seps: list[str], start: int, end: int) -> str:
    out = parts[start]
    for i in range(start + 1, end):
        out += seps[i - 1] + parts[i]
    return out


def title_forms(title: str) -> list[tuple[str, str]]:
    """``(form, removed part)``: the title, then without the last / first separator segment or a kicker."""
    out = [(title, "")]
    parts = _SEPARATORS.split(title)
    if len(parts) >= 2:
        seps = _SEPARATORS.findall(title)
        out.append((_join(parts, seps, 0, len(parts) - 1), parts[-1]))
        out.append((_join(parts, seps, 1, len(parts)), parts[0]))
    if (kicker := _KICKER.match(title)) and len(kicker.group(1).split()) <= 6:
        out.append((kicker.group(2), kicker.group(1)))
    return [(v.strip(), cut) for v, cut in out if v.strip()]


def _words(text: str) -> list[str]:
    return re.sub(r"[\W_]+", " ", text.casefold()).split()


def _truncated(text: str) -> bool:
    return text.rstrip().endswith(("…", "..."))


def _contracted(short: str, long: str) -> str | None:
    """The words *long* adds when *short* is its word-level beginning or end, else ``None``.

    A truncated field ("Headline that goes on and…") is no contraction, and neither
    is a fragment of fewer than four words.
    """
    if _truncated(short):
        return None
    s, w = _words(short), _words(long)
    if len(s) < 4 or len(s) >= len(w):
        return None
    if w[:len(s)] == s:
        return " ".join(w[len(s):])
    if w[-len(s):] == s:
        return " ".join(w[:-len(s)])
    return None


def clean_title(text: str) -> str:
    """Unescape entities, drop invisible characters and collapse spacing."""
    return " ".join(_INVISIBLE.sub("", html.unescape(text)).split())


def _cut_differently(cuts: list[set[str]]) -> bool:
    """Whether two sources reach the same form by removing unrelated words (two different kickers)."""
    return any(not (a & b) for i, a in enumerate(cuts) for b in cuts[i + 1:])


def _forms(texts: list[str], families: list[str]) -> list[list[tuple[str, str]]]:
    """Each candidate's variants, plus any headline field that is its word-level start or end."""
    forms = [title_forms(text) for text in texts]
    for i, text in enumerate(texts):
        for other, family in zip(texts, families):
            if family in DECLARED and family != families[i] and (added := _contracted(other, text)) is not None:
                forms[i].append((other, added))
    return forms


def _support(forms: list[list[tuple[str, str]]], families: list[str]) -> dict[str, dict[str, float]]:
    """Vote weight per normalised form and source family.

    A shortened form gets its backers' full weight when it is confirmed: a headline
    field states it as is, or two sources reach it by removing unrelated words.
    """
    declared = {_norm(variants[0][0]) for variants, family in zip(forms, families) if family in DECLARED}
    cuts: dict[str, list[set[str]]] = {}
    for variants in forms:
        for variant, cut in variants[1:]:
            cuts.setdefault(_norm(variant), []).append(set(_words(cut)))
    support: dict[str, dict[str, float]] = {}
    for family, variants in zip(families, forms):
        weight = WEIGHTS.get(family, 0.5) * (SHORT_SHARE if _truncated(variants[0][0]) else 1.0)
        for vrank, (variant, _) in enumerate(variants):
            key = _norm(variant)
            if len(key) >= 3:
                confirmed = not vrank or key in declared or _cut_differently(cuts.get(key, []))
                backers = support.setdefault(key, {})
                backers[family] = max(backers.get(family, 0.0), weight * (1.0 if confirmed else SHORT_SHARE))
    return support


def clean_candidates(candidates: list[tuple[str, str | None]], sites: Iterable[str]) -> list[tuple[str, str]]:
    """The candidates that can be a headline, cleaned and without the outlet's name, in their order."""
    site_keys = _site_keys(sites)
    cleaned: list[tuple[str, str]] = []
    for source, text in candidates:
        if text:
            text = clean_title(text)
            if 1 < len(text) < 400 and not (site_key(text) & site_keys):  # a logo <h1> is no headline
                cleaned.append((source, strip_site_name(text, site_keys)))
    return cleaned


def choose_title(candidates: list[tuple[str, str | None]], sites: Iterable[str]) -> str | None:
    """Pick the best title from ``(source, text)`` pairs given in preference order.

    *source* is one of the keys of ``WEIGHTS``, optionally with a ``-suffix``
    ("h1-0", "h1-1"); unknown sources weigh 0.5.
    """
    cleaned = clean_candidates(candidates, sites)
    if not cleaned:
        return None
    families = [source.split("-")[0] for source, _ in cleaned]
    forms = _forms([text for _, text in cleaned], families)
    support = _support(forms, families)
    best: tuple[tuple[float, int, int], str] | None = None
    for rank, variants in enumerate(forms):
        for vrank, (variant, _) in enumerate(variants):
            backers = support.get(_norm(variant), {})
            if vrank and len(backers) < 2:
                continue  # shorten a title only when another source confirms the short form
            score = (round(sum(backers.values()), 6), -vrank, -rank)
            if best is None or score > best[0]:
                best = (score, variant)
    return best[1] if best else cleaned[0][1]
