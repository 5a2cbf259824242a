"""Choose an article's headline from the page's competing title sources.

Candidates: on-page ``<h1>``, JSON-LD ``headline``, ``og:title``, ``twitter:title``
and ``<title>``. Site-name suffixes or prefixes (" - Site", "Site | ...") are
removed when the segment looks like the outlet (matches the site name or the
domain) or when another source agrees with the shortened form. The candidate that
most other sources agree with wins; ties go to the more specific source.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

__all__ = ["choose_title", "strip_site_name"]

_SEPARATORS = re.compile(r"\s+(?:[|–—·•»]{1,2}|-{1,2}|::)\s+|\s*[｜]\s*")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
# og:title, twitter:title and <title> usually come from one SEO field: they count as one witness.
_FAMILY = {"og": "seo", "twitter": "seo", "title": "seo"}


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _looks_like_site(segment: str, sites: list[str]) -> bool:
    seg = _norm(segment)
    if not seg:
        return True
    return any(site and (seg in site or site in seg) for site in sites)


def strip_site_name(title: str, sites: Iterable[str]) -> str:
    """Remove leading/trailing separator segments that name the outlet."""
    norm_sites = [s for s in (_norm(x) for x in sites if x) if len(s) >= 2]
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
        return title
    out = parts[start]
    for i in range(start + 1, end):
        out += seps[i - 1] + parts[i]
    return out.strip()


def _variants(title: str) -> list[str]:
    """The title plus its forms without the last / first separator segment."""
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return [title]
    last = title[: title.rfind(parts[-1])].rstrip(" |｜–—·•»:-")
    first = title[len(parts[0]):].lstrip(" |｜–—·•»:-")
    return [title, last.strip(), first.strip()]


def choose_title(candidates: list[tuple[str, str | None]], sites: Iterable[str]) -> str | None:
    """Pick the best title from ``(source, text)`` pairs given in preference order."""
    sites = list(sites)
    site_keys = {_norm(s) for s in sites}
    cleaned: list[tuple[str, str]] = []
    for source, text in candidates:
        if text:
            text = " ".join(_INVISIBLE.sub("", html.unescape(text)).split())
            if 1 < len(text) < 400 and _norm(text) not in site_keys:  # a logo <h1> is no headline
                cleaned.append((source, strip_site_name(text, sites)))
    if not cleaned:
        return None
    # Expand every candidate into variants, then score variants by how many sources share them.
    # A source backs a form fully (weight 1) or only once shortened (weight 0.5).
    support: dict[str, dict[str, float]] = {}
    for source, text in cleaned:
        family = _FAMILY.get(source, source.split("-")[0])
        for vrank, variant in enumerate(_variants(text)):
            key = _norm(variant)
            if len(key) >= 3:
                backers = support.setdefault(key, {})
                backers[family] = max(backers.get(family, 0.0), 0.5 if vrank else 1.0)
    best: tuple[float, int, int, str] | None = None
    for rank, (source, text) in enumerate(cleaned):
        for vrank, variant in enumerate(_variants(text)):
            agree = sum(support.get(_norm(variant), {}).values())
            if vrank and agree < 2:
                continue  # shorten a title only when another source confirms the short form
            score = (agree, -vrank, -rank, variant)
            if best is None or score[:3] > best[:3]:
                best = score
    return best[3] if best else cleaned[0][1]
