"""The source catalogue: one declarative entry per outlet.

Entries live in TOML files (``[[source]]`` tables). Loading validates every field
and reports errors that name the file, the entry and the field, so an operator
adding an outlet sees exactly what to fix.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from monitor.urls import InvalidURLError, canonicalize_url

BUNDLED_CATALOGUE = Path(__file__).parent / "sources.toml"
KINDS = ("feed", "sitemap", "wordpress", "listing", "module")
REPLICA_PLACEHOLDER = "{{REPLICA}}"


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

    def with_base(self, base_url: str) -> "Source":
        """This entry with ``{{REPLICA}}`` in its URLs replaced by ``base_url``."""
        urls = tuple(u.replace(REPLICA_PLACEHOLDER, base_url.rstrip("/")) for u in self.start_urls)
        home = self.homepage.replace(REPLICA_PLACEHOLDER, base_url.rstrip("/")) if self.homepage else None
        return replace(self, start_urls=urls, homepage=home)


def catalogue_path() -> Path:
    """The catalogue in use: ``MONITOR_CATALOGUE`` or the bundled one."""
    return Path(os.environ.get("MONITOR_CATALOGUE") or BUNDLED_CATALOGUE)


def load_catalogue(path: Path | None = None, *, base_url: str | None = None) -> list[Source]:
    """Read and validate a catalogue file; ``base_url`` fills ``{{REPLICA}}`` placeholders."""
    path = Path(path or catalogue_path())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CatalogueError(f"{path}: catalogue file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from exc
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise CatalogueError(f"{path}: 'source' must be an array of tables ([[source]])")
    sources: list[Source] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        source = parse_entry(entry, where=f"{path}: entry {index}")
        if source.name in seen:
            raise CatalogueError(f"{path}: entry {index} ({source.name}): field 'name': duplicate source name")
        seen.add(source.name)
        sources.append(source.with_base(base_url) if base_url else source)
    return sources


def parse_entry(entry: dict[str, Any], *, where: str) -> Source:
    """Validate one ``[[source]]`` table into a ``Source``."""
    name = entry.get("name")
    label = f"{where} ({name})" if isinstance(name, str) else where

    def fail(field_name: str, reason: str) -> CatalogueError:
        return CatalogueError(f"{label}: field '{field_name}': {reason}")

    if not isinstance(name, str) or not name or not all(c.isalnum() or c in "-_" for c in name):
        raise fail("name", "required; letters, digits, '-' and '_' only")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise fail("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    start_urls = entry.get("start_urls")
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
    interval = entry.get("poll_interval_minutes", 60)
    if not isinstance(interval, int) or not 1 <= interval <= 7 * 24 * 60:
        raise fail("poll_interval_minutes", "a whole number of minutes between 1 and 10080")
    selectors = entry.get("selectors", {})
    if not isinstance(selectors, dict) or not all(isinstance(v, str) for v in selectors.values()):
        raise fail("selectors", "a table of field = \"CSS or XPath selector\"")
    politeness = entry.get("politeness", {})
    if not isinstance(politeness, dict) or not all(isinstance(v, (int, float)) for v in politeness.values()):
        raise fail("politeness", "a table of numbers (download_delay, concurrency)")
    outlet = entry.get("outlet", name)
    if not isinstance(outlet, str):
        raise fail("outlet", "must be a string")
    known = {"name", "outlet", "kind", "start_urls", "languages", "homepage", "poll_interval_minutes",
             "selectors", "politeness", "paywall", "spider"}
    unknown = sorted(set(entry) - known)
    if unknown:
        raise fail(unknown[0], f"unknown field (known: {', '.join(sorted(known))})")
    return Source(
        name=name, outlet=outlet, kind=kind, start_urls=tuple(start_urls),
        languages=tuple(x.lower() for x in languages), homepage=entry.get("homepage"),
        poll_interval_minutes=interval, selectors=dict(selectors), politeness=dict(politeness),
        paywall=bool(entry.get("paywall", False)), spider=entry.get("spider"),
    )


def find_source(sources: list[Source], name: str) -> Source:
    """The source called ``name``; the error lists the known names."""
    for source in sources:
        if source.name == name:
            return source
    known = ", ".join(s.name for s in sources) or "none"
    raise CatalogueError(f"unknown source {name!r} (known: {known})")
