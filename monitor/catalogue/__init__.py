"""The source catalogue: one declarative entry per outlet.

Entries live in TOML files (``[[source]]`` tables). Loading validates every field
and reports errors that name the file, the entry and the field, so an operator
adding an outlet sees exactly what to fix.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from monitor.catalogue.selectors import SelectorError, validate_selector
from monitor.urls import InvalidURLError, canonicalize_url

BUNDLED_CATALOGUE = Path(__file__).parent / "sources.toml"
KINDS = ("feed", "sitemap", "wordpress", "listing", "module")
REPLICA_PLACEHOLDER = "{{REPLICA}}"
# Selectors an entry may give: article fields the extractor gets wrong, and how to read a listing page.
ARTICLE_SELECTORS = ("title", "authors", "published", "text")
LISTING_SELECTORS = ("teaser", "teaser_link", "teaser_date", "next_page")
POLITENESS_KEYS = ("download_delay", "concurrency")
FIELDS = ("name", "outlet", "kind", "start_urls", "languages", "homepage", "poll_interval_minutes", "selectors",
          "politeness", "paywall", "spider", "url_pattern", "max_pages", "min_interval_minutes", "max_interval_minutes")
TOP_LEVEL = "source"  # the only top-level key of a catalogue file: its array of [[source]] tables


class CatalogueError(ValueError):
    """A catalogue file or entry is invalid; the message names file, entry and field."""


@dataclass(frozen=True, slots=True)
class Source:
    """One outlet, as described by its catalogue entry."""

    name: str
    outlet: str
    kind: str
    start_urls: tuple[str, ...]
    languages: tuple[str, ...] = ()
    homepage: str | None = None
    poll_interval_minutes: int = 60
    selectors: dict[str, str] = field(default_factory=dict)
    politeness: dict[str, float] = field(default_factory=dict)
    paywall: bool = False
    spider: str | None = None
    url_pattern: str | None = None  # regex an article URL must match (sitemaps and listings list other pages too)
    max_pages: int = 3  # pages of a listing or API to follow per routine crawl (a backfill goes to --since)
    min_interval_minutes: int | None = None  # scheduler bounds on the adaptive poll interval (monitor.schedule)
    max_interval_minutes: int | None = None

    def article_selectors(self) -> dict[str, str]:
        """The selectors that override extracted article fields (title, authors, published, text)."""
        return {k: v for k, v in self.selectors.items() if k in ARTICLE_SELECTORS}

    def fingerprint(self) -> str:
        """A short hash of the whole entry: it changes whenever the entry does (a fixed selector or pattern).

        Stored HTTP validators are keyed by it (``monitor.catalogue.state``), so a
        corrected entry fetches its listings in full instead of being told "304 Not
        Modified" about the page it could not read before.
        """
        text = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    def with_base(self, base_url: str) -> "Source":
        """This entry with ``{{REPLICA}}`` in its URLs replaced by ``base_url``."""
        urls = tuple(u.replace(REPLICA_PLACEHOLDER, base_url.rstrip("/")) for u in self.start_urls)
        home = self.homepage.replace(REPLICA_PLACEHOLDER, base_url.rstrip("/")) if self.homepage else None
        return replace(self, start_urls=urls, homepage=home)


def catalogue_path() -> Path:
    """The catalogue in use: ``MONITOR_CATALOGUE`` or the bundled one."""
    return Path(os.environ.get("MONITOR_CATALOGUE") or BUNDLED_CATALOGUE)


def read_entries(path: Path) -> list[Any]:
    """The raw ``[[source]]`` tables of the catalogue file at ``path``.

    Raises ``CatalogueError`` naming the file when it is missing, not UTF-8, not
    TOML, or has a top-level key other than ``source``: a typo such as
    ``[[sources]]`` must not silently drop entries.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogueError(f"{path}: catalogue file not found") from exc
    except IsADirectoryError as exc:
        raise CatalogueError(f"{path}: is a directory, not a catalogue file") from exc
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); "
                             "save the catalogue as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from exc
    for key in data:
        if key == TOP_LEVEL:
            continue
        if key in FIELDS:
            hint = f"a field outside any table: put it under a [[{TOP_LEVEL}]] header"
        elif _close(key.lower(), (TOP_LEVEL, TOP_LEVEL + "s")):
            hint = f"did you mean [[{TOP_LEVEL}]]?"
        else:
            hint = f"the only top-level key is '{TOP_LEVEL}': entries go in [[{TOP_LEVEL}]] tables"
        raise CatalogueError(f"{path}: unknown top-level key {key!r} ({hint})")
    entries = data.get(TOP_LEVEL, [])
    if not isinstance(entries, list):
        raise CatalogueError(f"{path}: '{TOP_LEVEL}' must be an array of tables ([[{TOP_LEVEL}]])")
    return entries


def load_catalogue(path: Path | None = None, *, base_url: str | None = None) -> list[Source]:
    """Read and validate a catalogue file; ``base_url`` fills ``{{REPLICA}}`` placeholders.
    CatalogueError naming the first bad entry (``check_catalogue`` lists them all)."""
    sources, problems = load_valid_entries(path, base_url=base_url)
    if problems:
        raise CatalogueError(problems[0])
    return sources


def load_valid_entries(path: Path | None = None, *,
                       base_url: str | None = None) -> tuple[list[Source], list[str]]:
    """The catalogue's valid entries, and one message per bad one (a duplicate name counts as bad).

    For views that should not go blank because one entry is being edited (``monitor sources``);
    crawls and the scheduler use ``load_catalogue``, which refuses the whole file. A file that cannot
    be read at all still raises CatalogueError.
    """
    path = Path(path or catalogue_path())
    sources: list[Source] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(read_entries(path), start=1):
        try:
            source = parse_entry(entry, where=f"{path}: entry {index}")
        except CatalogueError as exc:
            problems.append(str(exc))
            continue
        duplicate = _duplicate(source.name, seen)
        if duplicate:
            problems.append(f"{path}: entry {index} ({source.name}): field 'name': {duplicate}")
            continue
        sources.append(source.with_base(base_url) if base_url else source)
    return sources, problems


def _duplicate(name: str, seen: dict[str, str]) -> str | None:
    """Why ``name`` clashes with an earlier name (compared case-insensitively), or None; records it."""
    earlier = seen.get(name.lower())
    if earlier is None:
        seen[name.lower()] = name
        return None
    if earlier == name:
        return "duplicate source name"
    return f"duplicate source name: {earlier!r} differs only in case"


def _close(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The choice closest to ``word`` (a likely typo), or None."""
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return found[0] if found else None


def _unknown(key: str, known: tuple[str, ...], what: str) -> str:
    """The reason for an unknown ``key``, suggesting the known one it looks like a typo of."""
    match = _close(key, known) or _close(key.lower(), known)
    if match:
        return f"unknown {what}: did you mean {match!r}? (known: {', '.join(sorted(known))})"
    return f"unknown {what} (known: {', '.join(sorted(known))})"


def parse_entry(entry: dict[str, Any], *, where: str) -> Source:
    """Validate one ``[[source]]`` table into a ``Source``."""
    if not isinstance(entry, dict):
        raise CatalogueError(f"{where}: must be a table ([[{TOP_LEVEL}]]), got {type(entry).__name__}")
    name = entry.get("name")
    label = f"{where} ({name})" if isinstance(name, str) else where

    def fail(field_name: str, reason: str) -> CatalogueError:
        return CatalogueError(f"{label}: field '{field_name}': {reason}")

    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:  # first: a misspelt field would otherwise be reported as the correct one missing
        raise fail(unknown[0], _unknown(unknown[0], FIELDS, "field"))
    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "-_" for c in name):
        raise fail("name", "required; letters, digits, '-' and '_' only")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise fail("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    start_urls = entry.get("start_urls")
    if isinstance(start_urls, str):
        raise fail("start_urls", f"must be a list of URLs, not a string: start_urls = [{json.dumps(start_urls)}]")
    if not isinstance(start_urls, list) or not start_urls or not all(isinstance(u, str) for u in start_urls):
        raise fail("start_urls", "required; a non-empty list of URLs")
    for url in start_urls:
        try:
            canonicalize_url(url.replace(REPLICA_PLACEHOLDER, "http://replica.invalid"))
        except InvalidURLError as exc:
            raise fail("start_urls", str(exc)) from exc
    languages = entry.get("languages", [])
    if not isinstance(languages, list) or not all(isinstance(x, str) and 2 <= len(x) <= 3 for x in languages):
        raise fail("languages", "a list of ISO 639-1 codes such as [\"fr\", \"en\"]")
    homepage = entry.get("homepage")
    if homepage is not None:
        if not isinstance(homepage, str):
            raise fail("homepage", "must be a URL string")
        try:
            canonicalize_url(homepage.replace(REPLICA_PLACEHOLDER, "http://replica.invalid"))
        except InvalidURLError as exc:
            raise fail("homepage", str(exc)) from exc
    interval = entry.get("poll_interval_minutes", 60)
    if not isinstance(interval, int) or isinstance(interval, bool) or not 1 <= interval <= 7 * 24 * 60:
        raise fail("poll_interval_minutes", "a whole number of minutes between 1 and 10080")
    selectors = entry.get("selectors", {})
    if not isinstance(selectors, dict) or not all(isinstance(v, str) for v in selectors.values()):
        raise fail("selectors", "a table of field = \"CSS or XPath selector\"")
    for key, selector in selectors.items():
        if key not in ARTICLE_SELECTORS + LISTING_SELECTORS:
            raise fail(f"selectors.{key}", _unknown(key, ARTICLE_SELECTORS + LISTING_SELECTORS, "selector"))
        try:
            validate_selector(selector)
        except SelectorError as exc:
            raise fail(f"selectors.{key}", str(exc)) from exc
    if kind == "listing" and "teaser" not in selectors and "teaser_link" not in selectors:
        raise fail("selectors", "a listing entry needs selectors.teaser (or selectors.teaser_link) to find article links")
    politeness = entry.get("politeness", {})
    if not isinstance(politeness, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in politeness.values()):
        raise fail("politeness", "a table of non-negative numbers (download_delay, concurrency)")
    for key in politeness:
        if key not in POLITENESS_KEYS:
            raise fail(f"politeness.{key}", _unknown(key, POLITENESS_KEYS, "setting"))
    if "concurrency" in politeness and not 1 <= politeness["concurrency"] <= 8:
        raise fail("politeness.concurrency", "between 1 and 8 requests at a time")
    outlet = entry.get("outlet", name)
    if not isinstance(outlet, str) or not outlet.strip():
        raise fail("outlet", "must be a non-empty string")
    paywall = entry.get("paywall", False)
    if not isinstance(paywall, bool):
        raise fail("paywall", "true or false")
    spider = entry.get("spider")
    if spider is not None and (not isinstance(spider, str) or not spider):
        raise fail("spider", "the name of a spider module's spider")
    if kind == "module" and not spider:
        raise fail("spider", "required when kind = \"module\"")
    url_pattern = entry.get("url_pattern")
    if url_pattern is not None:
        try:
            re.compile(url_pattern)
        except (re.error, TypeError) as exc:
            raise fail("url_pattern", f"not a regular expression: {exc}") from exc
    max_pages = entry.get("max_pages", 3)
    if not isinstance(max_pages, int) or isinstance(max_pages, bool) or not 1 <= max_pages <= 100:
        raise fail("max_pages", "a whole number of pages between 1 and 100")
    bounds = {key: entry.get(key) for key in ("min_interval_minutes", "max_interval_minutes")}
    for key, value in bounds.items():
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 7 * 24 * 60):
            raise fail(key, "a whole number of minutes between 1 and 10080")
    if not (bounds["min_interval_minutes"] or 1) <= interval <= (bounds["max_interval_minutes"] or 7 * 24 * 60):
        raise fail("poll_interval_minutes", "must lie between min_interval_minutes and max_interval_minutes")
    return Source(
        name=name, outlet=outlet, kind=kind, start_urls=tuple(start_urls),
        languages=tuple(x.lower() for x in languages), homepage=homepage,
        poll_interval_minutes=interval, selectors=dict(selectors), politeness=dict(politeness),
        paywall=paywall, spider=spider, url_pattern=url_pattern, max_pages=max_pages,
        min_interval_minutes=bounds["min_interval_minutes"], max_interval_minutes=bounds["max_interval_minutes"],
    )


def find_source(sources: list[Source], name: str) -> Source:
    """The source called ``name``; the error lists the known names."""
    for source in sources:
        if source.name == name:
            return source
    known = ", ".join(s.name for s in sources) or "none"
    raise CatalogueError(f"unknown source {name!r} (known: {known})")


def unfilled(sources: list[Source]) -> list[Source]:
    """The sources whose start URLs still hold ``{{REPLICA}}``: a replica catalogue loaded without a base URL.

    Why: crawled as is, each start URL fails deep inside Scrapy ("Missing scheme in request url").
    """
    return [s for s in sources if any(REPLICA_PLACEHOLDER in url for url in s.start_urls)]


def check_catalogue(path: Path | None = None) -> list[str]:
    """Every problem in a catalogue file, one message per bad entry (``load_catalogue`` stops at the first).

    A file that cannot be read at all (missing, not UTF-8, not TOML, an unknown
    top-level key) is one problem; so is a file with no entries.
    """
    path = Path(path or catalogue_path())
    try:
        if not read_entries(path):
            return [f"{path}: no [[{TOP_LEVEL}]] entries"]
        return load_valid_entries(path)[1]
    except CatalogueError as exc:
        return [str(exc)]


def offline(source: Source, base_url: str) -> Source:
    """``source`` pointed at its replica fixture: every URL's scheme and host become ``base_url/<name>``.

    Fixtures mirror the real host's URL paths under ``tests/fixtures/outlets/<name>/``,
    so the real catalogue entry (paths, query strings, selectors) is what a test crawls.
    """
    site = f"{base_url.rstrip('/')}/{source.name}"
    root = urlsplit(site)

    def move(url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit((root.scheme, root.netloc, root.path + (parts.path or "/"), parts.query, ""))

    return replace(source, start_urls=tuple(move(u) for u in source.start_urls),
                   homepage=move(source.homepage) if source.homepage else None)

