"""Writing catalogue entries: ``monitor sources add`` appends a validated ``[[source]]`` table and
``monitor sources remove`` cuts one out.

tomllib reads TOML but does not write it; entries hold only strings, numbers,
booleans, lists of strings and flat tables, so a small formatter is enough and
keeps the operator's file (comments, order) untouched: the new entry is
appended, a removed one cut out as text, never re-serialised with the rest.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from monitor.catalogue import CatalogueError, Source, find_source, load_catalogue, parse_entry, read_entries

ORDER = ("name", "outlet", "kind", "languages", "homepage", "start_urls", "poll_interval_minutes", "url_pattern",
         "max_pages", "paywall", "spider")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to the catalogue")


def format_entry(entry: dict[str, Any]) -> str:
    """One ``[[source]]`` table as TOML text."""
    keys = [k for k in ORDER if k in entry] + sorted(k for k in entry if k not in ORDER and not isinstance(entry[k], dict))
    lines = ["[[source]]"] + [f"{key} = {_value(entry[key])}" for key in keys]
    for table in sorted(k for k in entry if isinstance(entry[k], dict) and entry[k]):
        lines.append(f"[source.{table}]")
        lines.extend(f"{json.dumps(k)} = {_value(v)}" for k, v in entry[table].items())
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # the formatter's own check: what it writes must read back
    return text


def append_entry(path: Path, entry: dict[str, Any], *, create: bool = False) -> Source:
    """Validate ``entry`` and append it to the catalogue at ``path``.

    A missing file is an error unless ``create``: a mistyped ``--catalogue`` path
    would otherwise start a second catalogue that no crawl reads.
    """
    source = parse_entry(entry, where=f"{path}: new entry")
    if not path.exists() and not create:
        raise CatalogueError(f"{path}: no such catalogue file (check the path, or start a new catalogue there "
                             "with --new)")
    existing = load_catalogue(path) if path.exists() else []
    clash = next((s.name for s in existing if s.name.lower() == source.name.lower()), None)
    if clash == source.name:
        raise CatalogueError(f"{path}: new entry ({source.name}): field 'name': a source with this name exists")
    if clash:
        raise CatalogueError(f"{path}: new entry ({source.name}): field 'name': source {clash!r} exists "
                             "(names may not differ only in case)")
    text = path.read_text(encoding="utf-8") if path.exists() else "# Source catalogue (see docs/adding-an-outlet.md)\n"
    separator = "" if text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
    path.write_text(text + separator + format_entry(entry), encoding="utf-8")
    load_catalogue(path)  # the whole file must still load
    return source


_HEADER = re.compile(r"^\s*\[\[\s*source\s*\]\]")


def remove_entry(path: Path, name: str) -> Source:
    """Cut the ``[[source]]`` table named ``name`` (as ``find_source`` finds it) out of the catalogue at
    ``path`` and return it; every other line, comments included, stays as written.

    A table runs from its header to the next one; the comment lines directly above a header belong to
    that header's entry (they describe it), so they go with a removed entry and stay with the next.
    The file is replaced in one step, and only when the rest still loads as one entry fewer.
    """
    source = find_source(load_catalogue(path), name)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if _HEADER.match(line)]
    for number, start in enumerate(headers):
        end = headers[number + 1] if number + 1 < len(headers) else len(lines)
        block = "".join(lines[start:end])
        if tomllib.loads(block)["source"][0].get("name") == source.name:
            break
    else:  # pragma: no cover - load_catalogue found it, so one table has its name
        raise CatalogueError(f"{path}: no [[source]] table named {source.name!r}")
    start, end = _with_comments_above(lines, start), _with_comments_above(lines, end)
    kept = "".join(lines[:start] + lines[end:])
    before = len(read_entries(path))
    _replace(path, kept)
    if len(read_entries(path)) != before - 1:  # pragma: no cover - a guard on the text surgery
        raise CatalogueError(f"{path}: removing {source.name!r} did not leave one entry fewer")
    return source


def _with_comments_above(lines: list[str], index: int) -> int:
    """``index`` moved up over the comment lines directly above it (no blank line between)."""
    while index > 0 and lines[index - 1].lstrip().startswith("#"):
        index -= 1
    return index


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` in one step (a temporary file renamed over it), checked to load first."""
    tomllib.loads(text)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o7777)  # mkstemp's 0600 must not replace the file's mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def source_entry(source: Source) -> dict[str, Any]:
    """The catalogue entry (a plain dict, defaults left out) that describes ``source``."""
    entry: dict[str, Any] = {"name": source.name, "outlet": source.outlet, "kind": source.kind,
                             "start_urls": list(source.start_urls)}
    if source.languages:
        entry["languages"] = list(source.languages)
    if source.homepage:
        entry["homepage"] = source.homepage
    defaults = Source(name="x", outlet="x", kind="feed", start_urls=("https://x.invalid/",))
    for key in ("poll_interval_minutes", "paywall", "spider", "url_pattern", "max_pages"):
        if getattr(source, key) != getattr(defaults, key):
            entry[key] = getattr(source, key)
    for key in ("selectors", "politeness"):
        if getattr(source, key):
            entry[key] = dict(getattr(source, key))
    return entry


def format_catalogue(sources: list[Source]) -> str:
    """A whole catalogue file for ``sources`` (used for offline test catalogues)."""
    return "\n".join(format_entry(source_entry(s)) for s in sources)
